"""What invoices tell clients: that a new invoice is in their portal. Fixed wording: never the
amount, the number or what it is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from practice.notifications.kinds import NotificationKind, register

if TYPE_CHECKING:
    from practice.notifications.models import Notification


def _invoice_still_shared(notification: Notification) -> bool:
    """Not worth telling once voided (or already paid)."""
    from practice.invoices.models import Invoice

    return Invoice.objects.filter(pk=notification.context.get("invoice_id"),
                                  status=Invoice.Status.SHARED).exists()


INVOICE_SHARED = register(NotificationKind(
    key="invoice_shared",
    # Clients have no "billing" preference; an invoice is closest to a reminder of something
    # to do.
    preference="reminders",
    subject="You have a new invoice",
    push_body="Your practice has shared an invoice with you. Open your portal to see it.",
    link=lambda context: f"/portal/invoices/{context['invoice_id']}/",
    is_still_due=_invoice_still_shared,
))
