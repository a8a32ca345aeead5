"""Dispatching: the marketplace running itself.

instant.py   urgent orders: targeted offers one at a time, widen, escalate
batch.py     per-region batch runs (assignment + day plans), offers or auto-assignments
replan.py    re-planning after a change, with new honest ETAs for customers
sla.py       SLA monitor: alerts before a breach and on breach
reminders.py appointment reminders, "technician on the way"
notifier.py  the Notifier interface (in-app + log + signed outgoing webhook)
"""
