"""Test factories, one module per domain. Each writes its rows through the domain's own
services (escalation, the state machine, the catalog), so a test starts from rows the
product could have made itself: prices, SLAs and history come from the real code paths."""

from tests.factories.identity import Factory, Login

__all__ = ["Factory", "Login"]
