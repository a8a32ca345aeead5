"""Problems a client may switch on (type = https://fieldhand.dev/problems/<slug>)."""

from __future__ import annotations

from marketplace.errors import Conflict, DomainError


class PaymentDeclined(DomainError):
    status = 402
    slug = "payment-declined"
    title = "The payment was declined"


class PaymentMethodRequired(DomainError):
    status = 402
    slug = "payment-method-required"
    title = "A payment method is needed before the visit can be confirmed"


class AlreadyPaid(Conflict):
    slug = "already-paid"
    title = "This work order has already been charged"
