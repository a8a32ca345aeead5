"""The staff console: server-rendered pages under /console for dispatchers, agents and admins."""
