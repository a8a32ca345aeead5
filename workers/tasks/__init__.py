"""Every task module; importing this package registers all handlers."""

from workers.tasks import notifications  # noqa: F401
from workers.tasks import offers  # noqa: F401
from workers.tasks import work_orders  # noqa: F401
from workers.tasks import payments  # noqa: F401
from workers.tasks import payouts  # noqa: F401
from workers.tasks import dispatch  # noqa: F401
from workers.tasks import sla  # noqa: F401
from workers.tasks import reminders  # noqa: F401
