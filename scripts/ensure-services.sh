#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1 for the test suite: start them when they
# are installed but stopped, install them (Debian packages) when they are missing.
set -euo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_PORT=6379
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

pg_up() { pg_isready -h "$PG_HOST" -p "$PG_PORT" -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
apt_install() {
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if ! command -v pg_isready >/dev/null || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "installing PostgreSQL..."; apt_install postgresql postgresql-contrib
fi
if ! pg_up; then
  echo "starting PostgreSQL..."
  for version in $(ls /etc/postgresql); do
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
pg_up || { echo "PostgreSQL is not reachable on $PG_HOST:$PG_PORT" >&2; exit 1; }
# Tests connect as postgres over TCP without a password (trust), as on the CI machine.
if ! psql -h "$PG_HOST" -U postgres -d postgres -c 'select 1' >/dev/null 2>&1; then
  echo "configuring local trust auth for the test user..."
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -1)
  $SUDO sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  for version in $(ls /etc/postgresql); do $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true; done
  sleep 1
fi

if ! command -v redis-server >/dev/null; then
  echo "installing Redis..."; apt_install redis-server
fi
if ! redis_up; then
  echo "starting Redis..."
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
fi
redis_up || { echo "Redis is not reachable on 127.0.0.1:$REDIS_PORT" >&2; exit 1; }
echo "services ready: PostgreSQL $PG_HOST:$PG_PORT, Redis 127.0.0.1:$REDIS_PORT"
