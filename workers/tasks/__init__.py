"""Every task module; importing this package registers all handlers."""

from workers.tasks import (
    access,  # noqa: F401
    assignment,  # noqa: F401
    devices,  # noqa: F401
    holds,  # noqa: F401
    messages,  # noqa: F401
    notifications,  # noqa: F401
    offers,  # noqa: F401
    payments,  # noqa: F401
    payouts,  # noqa: F401
    reminders,  # noqa: F401
    sla,  # noqa: F401
    technicians,  # noqa: F401
    work_orders,  # noqa: F401
)
