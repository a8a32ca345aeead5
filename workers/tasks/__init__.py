"""Every task module; importing this package registers all handlers."""

from workers.tasks import notifications  # noqa: F401
from workers.tasks import offers  # noqa: F401
from workers.tasks import work_orders  # noqa: F401
from workers.tasks import payments  # noqa: F401
from workers.tasks import payouts  # noqa: F401
