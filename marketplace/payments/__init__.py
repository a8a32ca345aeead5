"""Customer payments: one manual-capture PaymentIntent per booking attempt.

Verbs by step: `authorise.py`, `capture.py`, `cancel.py`; the row and its keys: `records.py`.

States of a `Payment` (Stripe is called only from worker tasks, never from a request):

    booking hook ─> PENDING ──authorise task──> AUTHORIZED ──capture task──> CAPTURED
                       │  └─ no payment method: stays PENDING (failure_code
                       │     payment_method_required) until the customer saves one
                       ├─ declined: FAILED; the appointment is cancelled, the work order goes
                       │  to needs_callback, the customer gets a `payment-declined` problem
                       └─ cancelled before authorisation: CANCELED (nothing at Stripe)
    AUTHORIZED ──cancel, fee 0──> CANCELED (authorisation released)
    AUTHORIZED ──cancel, fee F──> CAPTURED for F only (Stripe releases the rest)
    CAPTURED   ──cancel, fee F──> PARTIALLY_REFUNDED / REFUNDED (refund captured - F)

While a booking is PENDING the visit is "booked, pending payment": `payment_ready` tells
dispatch whether the authorisation is in place. A FAILED or CANCELED payment that moved no
money is reused for the next booking of the same order (`attempt` + 1, new PaymentIntent).

Tasks lock the payment row (FOR UPDATE) for their whole run, so authorise / capture /
cancel for one payment never interleave; each Stripe call carries an idempotency key from
the payment id (and attempt), so a task that dies after Stripe answered but before our
commit replays Stripe's stored answer on retry instead of creating a second object.
"""
