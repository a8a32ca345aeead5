"""Check form parameters against the stripe SDK's generated parameter TypedDicts."""

from __future__ import annotations

import sys
import typing
from typing import Any, ForwardRef, Literal, Union, get_args, get_origin

from stripe._request_options import RequestOptions
from stripe.params import (
    AccountCreateParams,
    AccountLinkCreateParams,
    CustomerCreateParams,
    PaymentIntentCancelParams,
    PaymentIntentCaptureParams,
    PaymentIntentConfirmParams,
    PaymentIntentCreateParams,
    RefundCreateParams,
    SetupIntentCreateParams,
    TransferCreateParams,
)

# (method, route pattern with {id}) -> the SDK's params type for that call
ROUTES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/customers"): CustomerCreateParams,
    ("POST", "/v1/payment_intents"): PaymentIntentCreateParams,
    ("POST", "/v1/payment_intents/{id}/capture"): PaymentIntentCaptureParams,
    ("POST", "/v1/payment_intents/{id}/cancel"): PaymentIntentCancelParams,
    ("POST", "/v1/payment_intents/{id}/confirm"): PaymentIntentConfirmParams,
    ("POST", "/v1/refunds"): RefundCreateParams,
    ("POST", "/v1/setup_intents"): SetupIntentCreateParams,
    ("POST", "/v1/accounts"): AccountCreateParams,
    ("POST", "/v1/account_links"): AccountLinkCreateParams,
    ("POST", "/v1/transfers"): TransferCreateParams,
}

_REQUEST_OPTION_KEYS = frozenset(RequestOptions.__annotations__)
_UNRESOLVED = object()


class ParamError(Exception):
    def __init__(self, code: str, param: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.param = param
        self.message = message


def _resolve(annotation: Any, owner: Any) -> Any:
    if isinstance(annotation, str):
        annotation = ForwardRef(annotation)
    if isinstance(annotation, ForwardRef):
        namespace = dict(vars(typing))
        namespace.update(vars(sys.modules[owner.__module__]))
        try:
            return eval(annotation.__forward_arg__, namespace)
        except Exception:
            return _UNRESOLVED
    return annotation


def _fields(typed_dict: Any) -> tuple[dict[str, Any], frozenset[str]]:
    annotations: dict[str, Any] = {}
    for klass in reversed(typed_dict.__mro__):
        annotations.update(getattr(klass, "__annotations__", {}))
    fields = {k: v for k, v in annotations.items() if k not in _REQUEST_OPTION_KEYS}
    required = frozenset(getattr(typed_dict, "__required_keys__", frozenset())) - _REQUEST_OPTION_KEYS
    return fields, required


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


def _strip(tp: Any) -> Any:
    origin = get_origin(tp)
    if origin in (typing.NotRequired, typing.Required):  # type: ignore[attr-defined]
        return get_args(tp)[0]
    name = getattr(origin, "_name", None) or getattr(tp, "_name", None)
    if name in ("NotRequired", "Required"):
        return get_args(tp)[0]
    return tp


def check(value: Any, tp: Any, path: str, owner: Any) -> None:
    tp = _strip(_resolve(tp, owner))
    if tp is _UNRESOLVED or tp is Any:
        return
    if value == "":  # Stripe: an empty string unsets a field
        return
    if _is_typeddict(tp):
        if not isinstance(value, dict):
            raise ParamError("parameter_invalid_object", path, f"Invalid object for {path or 'request'}")
        fields, required = _fields(tp)
        for key, item in value.items():
            name = f"{path}[{key}]" if path else key
            if key not in fields:
                raise ParamError("parameter_unknown", name, f"Received unknown parameter: {name}")
            check(item, fields[key], name, tp)
        for key in required:
            if key not in value:
                name = f"{path}[{key}]" if path else key
                raise ParamError("parameter_missing", name, f"Missing required param: {name}.")
        return
    origin = get_origin(tp)
    if origin is Union or type(tp).__name__ == "UnionType":
        errors = []
        for option in get_args(tp):
            try:
                check(value, option, path, owner)
                return
            except ParamError as exc:
                errors.append(exc)
        raise errors[0]
    if origin is Literal:
        if value not in get_args(tp) and str(value) not in {str(a).lower() for a in get_args(tp)}:
            raise ParamError("parameter_invalid", path, f"Invalid {path}: must be one of {get_args(tp)}")
        return
    if origin in (list, typing.List):  # noqa: UP006
        if isinstance(value, dict):  # form lists can arrive as {"0": ..}
            value = list(value.values())
        if not isinstance(value, list):
            raise ParamError("parameter_invalid", path, f"Invalid array: {path}")
        (item_type,) = get_args(tp) or (Any,)
        for index, item in enumerate(value):
            check(item, item_type, f"{path}[{index}]", owner)
        return
    if origin in (dict, typing.Dict):  # noqa: UP006
        if not isinstance(value, dict):
            raise ParamError("parameter_invalid", path, f"Invalid hash: {path}")
        return
    if tp is bool:
        if isinstance(value, bool) or str(value).lower() in ("true", "false"):
            return
        raise ParamError("parameter_invalid_boolean", path, f"Invalid boolean: {value}")
    if tp is int:
        try:
            int(str(value))
        except ValueError:
            raise ParamError("parameter_invalid_integer", path, f"Invalid integer: {value}") from None
        return
    if tp is float:
        try:
            float(str(value))
        except ValueError:
            raise ParamError("parameter_invalid", path, f"Invalid decimal: {value}") from None
        return
    if tp is str:
        if isinstance(value, dict | list):
            raise ParamError("parameter_invalid_string", path, f"Invalid string: {path}")
        return
    # anything else (UntypedStripeObject, classes we do not model): accept a hash or a scalar


def validate(method: str, route: str, data: dict[str, Any]) -> None:
    params_type = ROUTES.get((method, route))
    if params_type is None:
        return
    check(data, params_type, "", params_type)
