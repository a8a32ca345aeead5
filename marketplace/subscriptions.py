"""Which domain reacts to which event, in order: the one list of in-transaction handlers.

Loaded by `marketplace.events` on the first publish. Events flow from the domain where
something happened to the domains that depend on it (see the README's Architecture section).
"""

from __future__ import annotations

from marketplace import events
from marketplace.assignment import handlers as assignment
from marketplace.bookings import handlers as bookings
from marketplace.offers import handlers as offers
from marketplace.payments import handlers as payments
from marketplace.payouts import handlers as payouts
from marketplace.visits import handlers as visits
from marketplace.work_orders import handlers as work_orders

# A new order nobody can place goes to a call back before dispatch would try it.
events.subscribe(events.WorkOrderTriaged, bookings.flag_if_unplaceable)
events.subscribe(events.WorkOrderTriaged, assignment.dispatch_now_if_urgent)
events.subscribe(events.WorkOrderExpedited, payments.reprice_expedited)
events.subscribe(events.AppointmentBooked, payments.authorise_booking)
events.subscribe(events.AppointmentCancelled, payments.settle_cancelled_booking)
events.subscribe(events.VisitCompleted, payments.capture_completed_visit)
events.subscribe(events.OfferAccepted, bookings.assign_booked_time)
# A declined card: the booked window is released first, then the order goes to a call back.
events.subscribe(events.PaymentDeclined, bookings.release_declined_booking)
events.subscribe(events.PaymentDeclined, work_orders.call_back_after_decline)
events.subscribe(events.EarningsCaptured, payouts.schedule_earnings_payout)
events.subscribe(events.EarningsRefunded, payouts.shrink_unpaid_payout)
events.subscribe(events.PayoutAccountChanged, payouts.refresh_payout_account)
events.subscribe(events.TechnicianSuspended, offers.withdraw_offers_of_suspended)
events.subscribe(events.TechnicianMoved, visits.refresh_eta)
