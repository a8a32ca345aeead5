"""Dispatching: the marketplace running itself.

instant.py          urgent orders: targeted offers one at a time, widen, escalate
batch.py            per-region batch runs (assignment + day plans), offers or auto-assignments
replan.py           re-planning after a change, with new honest ETAs for customers
sla.py              SLA monitor: alerts before a breach and on breach
reminders.py        appointment reminders, "technician on the way"
repository.py       queries loading a region's day, and the rows a dispatch decision reads
plan_repository.py  queries of the sweeps and of the console's plans, board and queue
"""
