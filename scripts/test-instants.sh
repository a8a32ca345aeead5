#!/usr/bin/env bash
# Run the integration and end-to-end suites with the clock moved to chosen instants
# (tests/conftest.py: --test-now; the clock keeps ticking from there).
#
# `make test` runs the whole suite at the real time first; here each instant runs the
# time-sensitive tests (marked `clock`: dispatch, booking, escalation/SLA, shifts, offers and
# their expiry, money and payouts, the e2e days and crashes; not the multi-process races,
# whose one-process twins are marked), which keeps `make test` within
# about 25 minutes on 2 cores (the real-time run covers an ordinary hour; the instants are the
# edges: midnight UTC, already tomorrow in Amsterdam, both DST change days). Early morning
# (06:00 UTC) ran here too until the suite grew past that budget; run it by name as below.
# The fuller forms:
#   INSTANTS="2026-12-02T06:00:00+00:00" scripts/test-instants.sh   # chosen instants, in full
#   FULL=1 scripts/test-instants.sh          # every instant runs all of both suites
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-$(command -v uv 2>/dev/null || echo .tools/bin/uv)}"

DEFAULT_INSTANTS=(
    2026-03-29T00:30:00+00:00  # Europe/Amsterdam springs forward at 01:00 UTC (02:00 -> 03:00 local)
    2026-12-02T00:30:00+00:00  # an ordinary day: just after midnight UTC
    2026-12-02T23:30:00+00:00  # already tomorrow in Amsterdam
    2026-10-25T01:30:00+00:00  # Europe/Amsterdam fell back at 01:00 UTC: 02:30 local for the second time
)
if [[ -n "${INSTANTS:-}" ]]; then
    read -r -a instants <<<"$INSTANTS"
    FULL=1
else
    instants=("${DEFAULT_INSTANTS[@]}")
fi

status=0
for i in "${!instants[@]}"; do
    at="${instants[$i]}"
    select=()
    if [[ -z "${FULL:-}" ]]; then
        select=(-m clock)
    fi
    echo "=== pytest tests/integration tests/e2e tests/journeys ${select[*]:-} at $at"
    start=$SECONDS
    if ! "$UV" run --frozen pytest -q -p no:cacheprovider --test-now="$at" "${select[@]}" tests/integration tests/e2e tests/journeys; then
        status=1
        echo "=== FAILED at $at"
    fi
    echo "=== $at: $((SECONDS - start)) s"
done
exit $status
