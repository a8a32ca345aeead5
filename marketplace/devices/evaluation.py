"""From readings to action: run a device's rules, open or update one work order per device
problem, and tell the customer; a device gone quiet gets an alert, never a visit.

A device problem is a metric going the wrong way (`pressure-low`, `temperature-high`).
Its work order is created through the ordinary escalation service with source
`device_alert` and external ref `device:<device id>:<problem>:<episode>`: the unique
(source, external ref) key makes a racing second alert attach to the first order, and
repeated alerts for the same problem append their readings to the open order instead of
opening another. Once that order is completed or cancelled, the next alert starts a new
episode (a new order).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.customers.models import Customer
from marketplace.devices import repository as repo
from marketplace.devices.metrics import METRICS
from marketplace.devices.models import Device, DeviceRule, DeviceStatus
from marketplace.devices.rules import (
    Comparison,
    Finding,
    RuleKind,
    ThresholdRule,
    TrendRule,
    predict_crossing,
    priority_for,
    threshold_held,
)
from marketplace.notifications.service import send_notification
from marketplace.timeutil import from_epoch, to_epoch
from marketplace.users.models import Role
from marketplace.work_orders.escalation import escalate_ticket
from marketplace.work_orders.intake import CustomerRef, Escalation, EscalationOutcome, TicketContext
from marketplace.work_orders.models import WorkOrder, WorkOrderSource
from marketplace.work_orders.state import TERMINAL

HELPDESK = "device"
CONTEXT_READINGS = 30  # the newest readings copied into the work order
MIN_LOOKBACK = timedelta(hours=1)
FUTURE_SLACK = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Alert:
    device_id: uuid.UUID
    problem: str
    finding: Finding
    work_order_id: uuid.UUID | None
    outcome: str  # created / existing


def problem_key(metric: str, comparison: Comparison) -> str:
    return f"{metric}-{'low' if comparison is Comparison.BELOW else 'high'}"


def _threshold(rule: DeviceRule) -> ThresholdRule:
    return ThresholdRule(
        Comparison(rule.comparison or Comparison.BELOW), float(rule.threshold or 0), rule.duration_s
    )


def _trend(rule: DeviceRule) -> TrendRule:
    return TrendRule(
        Comparison(rule.comparison or Comparison.BELOW),
        float(rule.threshold or 0),
        window_s=int(rule.window_s or 0),
        lead_s=int(rule.lead_s or 0),
        min_points=rule.min_points,
    )


async def evaluate_device(session: AsyncSession, device_id: uuid.UUID, *, now: datetime) -> list[Alert]:
    """Run every threshold and trend rule of the device's model over its recent readings;
    each problem found becomes (or joins) a work order."""
    device = await repo.device(session, device_id, lock=True)
    if device is None or device.status != DeviceStatus.ACTIVE:
        return []
    device.evaluated_at = now
    rules = [
        r
        for r in await repo.rules_for_model(session, device.model)
        if r.kind in (RuleKind.THRESHOLD, RuleKind.TREND) and r.metric in METRICS
    ]
    if not rules:
        return []
    lookback = max(
        [MIN_LOOKBACK]
        + [timedelta(seconds=2 * r.duration_s) for r in rules]
        + [timedelta(seconds=r.window_s or 0) for r in rules]
    )
    metric_ids = sorted({METRICS[r.metric].id for r in rules})
    windows = await repo.window(session, device.id, metric_ids, now - lookback, now + FUTURE_SLACK)
    now_s = now.timestamp()
    findings: dict[str, tuple[str, Finding, list[tuple[float, float]]]] = {}
    for rule in rules:
        samples = [(at.timestamp(), value) for at, value in windows[METRICS[rule.metric].id]]
        found = (
            threshold_held(samples, _threshold(rule))
            if rule.kind == RuleKind.THRESHOLD
            else predict_crossing(samples, _trend(rule), now_s)
        )
        if found is None:
            continue
        key = problem_key(rule.metric, found.comparison)
        current = findings.get(key)
        if current is None or found.failure_at_s < current[1].failure_at_s:
            findings[key] = (rule.metric, found, samples)
    return [
        await raise_alert(session, device, metric, finding, samples, now=now)
        for metric, finding, samples in findings.values()
    ]


async def raise_alert(
    session: AsyncSession,
    device: Device,
    metric: str,
    finding: Finding,
    samples: list[tuple[float, float]],
    *,
    now: datetime,
) -> Alert:
    problem = problem_key(metric, finding.comparison)
    prefix = f"{HELPDESK}:{device.id}:{problem}:"
    latest = await repo.latest_alert_order(session, prefix)
    episode = 1
    if latest is not None and latest.external_ref:
        episode = int(latest.external_ref.rsplit(":", 1)[1]) + (1 if latest.status in TERMINAL else 0)
    failure_at = from_epoch(finding.failure_at_s)
    time_to_failure_s = max(0.0, finding.failure_at_s - now.timestamp())
    unit = METRICS[metric].unit
    context = {
        "device_id": str(device.id),
        "name": device.name,
        "kind": device.kind,
        "model": device.model,
        "problem": problem,
        "rule": finding.kind.value,
        "metric": metric,
        "unit": unit,
        "comparison": finding.comparison.value,
        "threshold": finding.threshold,
        "last_value": finding.last_value,
        "evaluated_at": now.isoformat(),
        "predicted_failure_at": failure_at.isoformat() if finding.kind is RuleKind.TREND else None,
        "beyond_threshold_since": from_epoch(finding.since_s).isoformat() if finding.since_s else None,
        "slope_per_hour": finding.slope_per_h,
        "readings": [[from_epoch(t).isoformat(), v] for t, v in samples[-CONTEXT_READINGS:]],
    }
    summary = _summary(device, metric, unit, finding)
    result = await escalate_ticket(
        session,
        Escalation(
            helpdesk=HELPDESK,
            ticket_id=f"{device.id}:{problem}:{episode}",
            customer=CustomerRef(external_id=str(device.customer_id), name=device.name),
            customer_id=device.customer_id,
            source=WorkOrderSource.DEVICE_ALERT,
            summary=summary,
            context=TicketContext(device=context, notes=f"{finding.kind.value} rule on {metric}"),
            lat=device.lat,
            lng=device.lng,
            address=device.address,
            category=device.category_code,
            priority=priority_for(time_to_failure_s),
            sla_due_at=failure_at if finding.kind is RuleKind.TREND else None,
            insist_on_visit=True,
        ),
        actor=None,
        now=now,
    )
    order = result.order
    if result.outcome is EscalationOutcome.CREATED and order is not None:
        await _tell_customer(session, device, order, metric, finding)
    return Alert(device.id, problem, finding, order.id if order else None, result.outcome.value)


def _summary(device: Device, metric: str, unit: str, f: Finding) -> str:
    side = "below" if f.comparison is Comparison.BELOW else "above"
    if f.kind is RuleKind.TREND:
        moving = "falling" if f.comparison is Comparison.BELOW else "rising"
        when = from_epoch(f.failure_at_s).strftime("%Y-%m-%d %H:%M UTC")
        return (
            f"{device.name} ({device.kind}): {metric} {moving}, predicted {side} "
            f"{f.threshold:g} {unit} around {when}"
        )
    since = from_epoch(f.since_s or f.failure_at_s).strftime("%Y-%m-%d %H:%M UTC")
    return f"{device.name} ({device.kind}): {metric} {side} {f.threshold:g} {unit} since {since}"


def _local(customer: Customer | None, moment: datetime) -> datetime:
    try:
        return moment.astimezone(ZoneInfo(customer.timezone if customer else "UTC"))
    except (KeyError, ValueError):
        return moment


async def _tell_customer(
    session: AsyncSession, device: Device, order: WorkOrder, metric: str, f: Finding
) -> None:
    customer = await repo.owner(session, device)
    thing = f"{device.kind.replace('_', ' ')}'s {metric.replace('_', ' ')}"
    if f.kind is RuleKind.TREND:
        moving = "falling" if f.comparison is Comparison.BELOW else "rising"
        when = _local(customer, from_epoch(f.failure_at_s)).strftime("%A %d %B around %H:%M")
        body = (
            f"Your {thing} is {moving} and is likely to fail on {when}; pick a time for a visit before then."
        )
    else:
        side = "too low" if f.comparison is Comparison.BELOW else "too high"
        body = f"Your {thing} is {side}; pick a time for a technician to fix it."
    data: dict[str, Any] = {"device_id": str(device.id), "metric": metric, "rule": f.kind.value}
    if f.kind is RuleKind.TREND:
        data["predicted_failure_at"] = from_epoch(f.failure_at_s).isoformat()
    await send_notification(
        session,
        dedupe_key=f"device-alert:{order.id}",
        kind="device.visit_proposed",
        subject=f"{device.name}: a visit before it fails",
        body=body,
        recipient_user_id=await repo.owner_login_id(session, device.customer_id),
        recipient_role=Role.CUSTOMER.value,
        work_order_id=order.id,
        data=data,
    )


async def detect_silence(session: AsyncSession, *, now: datetime) -> list[uuid.UUID]:
    """Devices that have gone quiet for longer than their model's silence rule: the customer
    is told once per quiet spell. No work order: a device offline is not (yet) a repair."""
    rules = [r for r in await repo.all_rules(session) if r.kind == RuleKind.SILENCE and r.enabled]
    alerted: list[uuid.UUID] = []
    for rule in rules:
        for device in await repo.quiet_devices(
            session, rule.model, quiet_since=now - timedelta(seconds=rule.duration_s)
        ):
            last = device.last_reading_at or device.created_at
            device.silent_since_alerted = last
            await send_notification(
                session,
                dedupe_key=f"device-silent:{device.id}:{to_epoch(last)}",
                kind="device.silent",
                subject=f"{device.name} has stopped reporting",
                body=(
                    f"We have not heard from your {device.kind.replace('_', ' ')} since "
                    f"{last.strftime('%Y-%m-%d %H:%M UTC')}. Check that it is powered and online."
                ),
                recipient_user_id=await repo.owner_login_id(session, device.customer_id),
                recipient_role=Role.CUSTOMER.value,
                data={"device_id": str(device.id), "last_reading_at": last.isoformat()},
            )
            alerted.append(device.id)
    return alerted


async def devices_to_evaluate(
    session: AsyncSession, *, now: datetime, every: timedelta, limit: int
) -> list[uuid.UUID]:
    return await repo.devices_due_for_evaluation(session, evaluated_before=now - every, limit=limit)


async def roll_up(session: AsyncSession, *, now: datetime, keep_raw: timedelta, hours: int = 48) -> int:
    """Fold raw readings older than `keep_raw` into hourly rows, one hour-sized range scan
    (the BRIN index on time) per hour of the `hours` before the cutoff; the number of raw
    rows folded. Readings arriving later than `keep_raw + hours` stay raw."""
    cutoff = (now - keep_raw).replace(minute=0, second=0, microsecond=0)
    folded = 0
    for back in range(hours, 0, -1):
        start = cutoff - timedelta(hours=back)
        folded += await repo.roll_up_range(session, start, start + timedelta(hours=1))
    return folded
