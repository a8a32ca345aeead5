"""`python -m demo simulate` runs a short day in CI and prints sane metrics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.travel import child_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_simulate_short_day_prints_sane_metrics(backend: str, database_url: str, tmp_path: Path) -> None:
    # SQLite is what `make run` uses on a fresh machine, so the simulation must work there too.
    url = database_url if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path / 'sim.sqlite3'}"
    env = {**child_env(), "FIELDHAND_DATABASE_URL": url, "FIELDHAND_REDIS_URL": ""}
    env.pop("FIELDHAND_STRIPE_API_KEY", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.travel",
            "demo",
            "simulate",
            "--hours",
            "1",
            "--scale",
            "small",
            "--json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # the machine may be shared; the simulated hour takes ~1-2 min
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ticks" in done.stderr  # the progress bar
    metrics = json.loads(done.stdout)
    assert metrics["work_orders"] > 0 and metrics["visits_completed"] > 0
    assert 0 <= metrics["sla_met_pct"] <= 100
    assert metrics["avg_time_to_assign_min"] >= 0
    assert 0 < metrics["travel_km_per_visit"] < 60
    assert 0 < metrics["utilisation_pct"] <= 400
    assert metrics["payouts_made"] >= 0 and metrics["callbacks"] >= 0
    # the simulated fleet posts readings over HTTP; the boilers losing pressure get a
    # proactive visit with the predicted failure time, and their owners are told
    assert metrics["device_readings_posted"] > 0
    assert metrics["device_alert_orders"] >= 1
    assert metrics["device_alerts_with_predicted_failure"] == metrics["device_alert_orders"]
    assert metrics["device_alert_customers_told"] == metrics["device_alert_orders"]
