"""Every task module; importing this package registers all handlers."""

from workers.tasks import notifications  # noqa: F401
