"""`@idempotent`: a creating handler runs at most once per `Idempotency-Key`.

The handler is written as if it ran once: it does its work and returns its typed body (or a
`Response` of it when the status depends on the outcome). The decorator claims the key,
runs the handler, stores status and body in the same transaction as the handler's effects,
and replays them verbatim for a repeated request (`marketplace.idempotency.run_idempotent`).
The success status is the route's `status_code` unless the handler returns a `Response`.

Keys belong to the caller (`principal.key`); a public handler names the owner of its keys
with `@idempotent(owner=...)`, a function of the handler's arguments. The decorator adds the
parameters it needs (the request, the caller, both database handles and the documented
`Idempotency-Key` header) to the handler's signature, so handlers declare only what they use.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, get_origin, get_type_hints, overload

import msgspec
from litestar import Request, Response

from api.deps import CurrentPrincipal, DbSession, IdempotencyKeyHeader, Now, SessionFactory
from marketplace.idempotency import run_idempotent

Handler = Callable[..., Awaitable[Any]]
Owner = Callable[[dict[str, Any]], str]

_ADDED: dict[str, tuple[Any, Any]] = {
    "request": (Request[Any, Any, Any], inspect.Parameter.empty),
    "principal": (CurrentPrincipal, inspect.Parameter.empty),
    "db_session": (DbSession, inspect.Parameter.empty),
    "session_factory": (SessionFactory, inspect.Parameter.empty),
    "idempotency_key": (IdempotencyKeyHeader, None),
    "now": (Now, inspect.Parameter.empty),
}


def _caller(arguments: dict[str, Any]) -> str:
    key: str = arguments["principal"].key
    return key


@overload
def idempotent(handler: Handler, /) -> Handler: ...
@overload
def idempotent(*, owner: Owner) -> Callable[[Handler], Handler]: ...
def idempotent(handler: Handler | None = None, /, *, owner: Owner | None = None) -> Any:
    """Make a creating route handler safe to retry with the same `Idempotency-Key`."""
    if handler is None:
        assert owner is not None
        return functools.partial(_wrap, owner=owner)
    return _wrap(handler, owner=None)


def _wrap(handler: Handler, owner: Owner | None) -> Handler:
    signature = inspect.signature(handler)
    hints = get_type_hints(handler, include_extras=True)
    own = set(signature.parameters)
    returns = hints.get("return", Any)
    returned = get_origin(returns) or returns
    if not (inspect.isclass(returned) and issubclass(returned, Response)):
        returns = Response[returns]  # type: ignore[valid-type]

    @functools.wraps(handler)
    async def wrapper(*args: Any, **kwargs: Any) -> Response[Any]:
        request: Request[Any, Any, Any] = kwargs["request"]

        async def operation() -> tuple[int, Any]:
            result = await handler(*args, **{k: v for k, v in kwargs.items() if k in own})
            if isinstance(result, Response):
                return result.status_code or 200, msgspec.to_builtins(result.content)
            status = request.route_handler.status_code
            assert status is not None  # resolved by the route decorator
            return status, msgspec.to_builtins(result)

        status, body = await run_idempotent(
            kwargs["session_factory"],
            kwargs["db_session"],
            principal=(owner or _caller)(kwargs),
            key=kwargs["idempotency_key"],
            method=request.method,
            path=request.url.path,
            body=await request.body(),
            operation=operation,
            now=kwargs["now"],
            lock_s=request.app.state.settings.idempotency_lock_s,
        )
        return Response(body, status_code=status)

    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
        for name, (annotation, default) in _ADDED.items()
        if name not in own and not (name == "principal" and owner is not None)
    ]
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), *added], return_annotation=returns
    )
    wrapper.__annotations__ = {
        **{k: v for k, v in hints.items() if k != "return"},
        **{p.name: p.annotation for p in added},
        "return": returns,
    }
    return wrapper
