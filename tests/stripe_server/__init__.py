"""A local Stripe-compatible server for tests: localstripe + Connect + idempotency + parameter checks.

Run: `python -m tests.stripe_server --port 8420 --webhook-secret whsec_...`, then point the SDK
(or `FIELDHAND_STRIPE_API_BASE`) at http://127.0.0.1:8420.

localstripe (PyPI) already serves customers, PaymentIntents (manual capture, capture, cancel),
refunds and signed webhook delivery. This package adds what it lacks:
- Connect: `/v1/accounts` (Express), `/v1/account_links`, `/v1/transfers` (`connect.py`);
- Stripe's idempotency semantics (`idempotency.py`): same key + same request -> the stored
  response (header `Idempotent-Replayed: true`); same key + different request -> 400
  `idempotency_error`; same key while the first is running -> 409;
- request parameters checked against the stripe SDK's own TypedDicts (`params.py`), so a
  misspelt or missing parameter is a 400 `parameter_unknown` / `parameter_missing`, as at Stripe;
- a stand-in for Stripe.js at `/js.stripe.com/v3/` (`stripe_js.js`, ours): `Stripe(pk)`,
  `elements().create("card").mount(...)`, `confirmCardSetup` / `confirmSetup` against this
  server's SetupIntent confirm endpoint, so a browser test can save a card;
- test controls under `/_config/fieldhand/...` (no API key needed): finish a connected account's
  onboarding, read webhook deliveries captured by a built-in sink, count objects.
"""
