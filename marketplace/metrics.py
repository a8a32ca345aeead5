"""Prometheus metric families shared by the API processes and the task workers.

Several processes on one host (`fieldhand run --workers N`, a few arq workers) share one
registry through prometheus_client's multiprocess mode: each process writes its samples
to files under `PROMETHEUS_MULTIPROC_DIR`, and a scrape of any process merges them. Without
that variable each process keeps its own in-memory registry (one process, or tests).
"""

from __future__ import annotations

import os
import shutil
import tempfile

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as _multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_TASK_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

REQUEST_LATENCY = Histogram(
    "fieldhand_http_request_duration_seconds",
    "HTTP request latency by operation, method and status",
    ["operation", "method", "status"],
    buckets=_LATENCY_BUCKETS,
)
TASK_DURATION = Histogram(
    "fieldhand_task_duration_seconds",
    "Outbox task run time by task name and outcome (done, retry, failed)",
    ["task", "outcome"],
    buckets=_TASK_BUCKETS,
)
TASK_FAILURES = Counter(
    "fieldhand_task_failures",
    "Outbox task runs that raised, by task name and whether it will be retried",
    ["task", "retried"],
)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_multiprocess_metrics() -> str:
    """Point this process and the processes it starts at a fresh, empty metrics directory."""
    path = multiprocess_dir()
    if path is None:
        path = tempfile.mkdtemp(prefix="fieldhand-metrics-")
        os.environ[MULTIPROC_ENV] = path
    else:
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path, exist_ok=True)
    return path


def mark_process_dead(pid: int) -> None:
    if multiprocess_dir() is not None:
        _multiprocess.mark_process_dead(pid)


def exposition() -> bytes:
    """The text exposition of every process's metrics (merged in multiprocess mode)."""
    if multiprocess_dir() is None:
        return generate_latest()
    registry = CollectorRegistry()
    _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)
