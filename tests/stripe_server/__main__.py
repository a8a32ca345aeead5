"""`python -m tests.stripe_server --port N --webhook-secret whsec_...`"""

from __future__ import annotations

import argparse
import json
import logging
import re
from pathlib import Path
from typing import Any

from aiohttp import web
from localstripe import server as ls
from localstripe.resources import store
from localstripe.webhooks import register_webhook

from tests.stripe_server import idempotency, params
from tests.stripe_server.connect import Account, Transfer, create_account_link, patch_test_cards

log = logging.getLogger("stripe_server")
_webhooks: list[dict[str, Any]] = []
STRIPE_JS = Path(__file__).with_name("stripe_js.js")
STRIPE_JS_PATH = "/js.stripe.com/v3/"


@web.middleware
async def stripe_js_middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Our stand-in Stripe.js instead of the one localstripe ships (see stripe_js.js)."""
    if request.method == "GET" and request.path == STRIPE_JS_PATH:
        return web.Response(
            text=STRIPE_JS.read_text(),
            content_type="application/javascript",
            headers={"Cache-Control": "no-cache"},
        )
    return await handler(request)


def _route_of(request: web.Request) -> str:
    info = request.match_info.route.resource
    canonical = info.canonical if info is not None else request.path
    return re.sub(r"\{[a-z_]+\}", "{id}", canonical)


@web.middleware
async def params_middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
    if request.method == "POST" and not request.path.startswith("/_config/"):
        data = await ls.get_post_data(request, remove_auth=False) or {}
        data = dict(data)
        try:
            params.validate(request.method, _route_of(request), data)
        except params.ParamError as exc:
            request[idempotency.VALIDATION_FAILED] = True
            body = {
                "error": {
                    "type": "invalid_request_error",
                    "code": exc.code,
                    "param": exc.param,
                    "message": exc.message,
                }
            }
            return web.json_response(body, status=400)
    return await handler(request)


async def account_link(request: web.Request) -> web.Response:
    data = await ls.get_post_data(request) or {}
    return ls.json_response(create_account_link(**data))


async def complete_onboarding(request: web.Request) -> web.Response:
    account = Account._api_retrieve(request.match_info["id"])
    account._complete_onboarding()
    return ls.json_response(account._export())


async def restrict(request: web.Request) -> web.Response:
    account = Account._api_retrieve(request.match_info["id"])
    account._restrict()
    return ls.json_response(account._export())


async def webhook_sink(request: web.Request) -> web.Response:
    text = await request.text()
    _webhooks.append(
        {
            "payload": text,
            "signature": request.headers.get("Stripe-Signature"),
            "type": json.loads(text).get("type"),
        }
    )
    return web.Response(text="ok")


async def webhooks(request: web.Request) -> web.Response:
    return web.json_response(_webhooks)


async def counts(request: web.Request) -> web.Response:
    kinds: dict[str, int] = {}
    for key in store:
        kind = key.split(":", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return web.json_response({"objects": kinds, "idempotent_replays": len(idempotency.replays)})


def build_app(port: int, webhook_secret: str | None) -> web.Application:
    store.dump_to_disk = lambda: None  # type: ignore[method-assign]  # no /tmp pickle
    patch_test_cards()
    app = ls.app
    app.middlewares.insert(0, params_middleware)
    app.middlewares.insert(0, idempotency.idempotency_middleware)
    app.middlewares.insert(0, stripe_js_middleware)
    for method, url, handler in (
        ("POST", "/v1/accounts", ls.api_create(Account, "/v1/accounts")),
        ("GET", "/v1/accounts/{id}", ls.api_retrieve(Account, "/v1/accounts/{id}")),
        ("POST", "/v1/accounts/{id}", ls.api_update(Account, "/v1/accounts/{id}")),
        ("GET", "/v1/accounts", ls.api_list_all(Account, "/v1/accounts")),
        ("POST", "/v1/transfers", ls.api_create(Transfer, "/v1/transfers")),
        ("GET", "/v1/transfers/{id}", ls.api_retrieve(Transfer, "/v1/transfers/{id}")),
        ("GET", "/v1/transfers", ls.api_list_all(Transfer, "/v1/transfers")),
    ):
        app.router.add_route(method, url, handler)
    app.router.add_post("/v1/account_links", account_link)
    app.router.add_post("/_config/fieldhand/accounts/{id}/complete_onboarding", complete_onboarding)
    app.router.add_post("/_config/fieldhand/accounts/{id}/restrict", restrict)
    app.router.add_post("/_config/fieldhand/webhook_sink", webhook_sink)
    app.router.add_get("/_config/fieldhand/webhooks", webhooks)
    app.router.add_get("/_config/fieldhand/counts", counts)
    if webhook_secret:
        register_webhook(
            "fieldhand-sink", f"http://127.0.0.1:{port}/_config/fieldhand/webhook_sink", webhook_secret, None
        )
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--webhook-secret", default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    web.run_app(
        build_app(args.port, args.webhook_secret), host=args.host, port=args.port, access_log=None, print=None
    )


if __name__ == "__main__":
    main()
