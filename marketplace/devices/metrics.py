"""The metrics a device may report, each with its one unit and a small stable id.

Readings store the id (a smallint) rather than the code, which keeps the raw table narrow.
Ids are part of the stored data: never reuse or renumber one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Metric:
    id: int
    code: str
    unit: str
    description: str


METRICS: dict[str, Metric] = {
    m.code: m
    for m in (
        Metric(1, "pressure", "bar", "Water or refrigerant pressure"),
        Metric(2, "temperature", "celsius", "Flow, tank or drum temperature"),
        Metric(3, "flow_rate", "l/min", "Water flow"),
        Metric(4, "power", "W", "Electrical power drawn"),
        Metric(5, "vibration", "mm/s", "RMS vibration velocity"),
        Metric(6, "signal", "dBm", "Radio signal strength"),
        Metric(7, "packet_loss", "percent", "Share of packets lost"),
        Metric(8, "cop", "ratio", "Heat pump coefficient of performance"),
    )
}
BY_ID: dict[int, Metric] = {m.id: m for m in METRICS.values()}

ANY_METRIC = "*"  # silence rules watch the device as a whole
