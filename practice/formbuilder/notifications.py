"""What forms tell people: the client's notice that a form is waiting (fixed wording, never the
form's name or anything in it) and the staff digest's counts of completed and signed forms."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from practice.access import Capability, roles_with
from practice.notifications.digest import DigestSection, register_section
from practice.notifications.kinds import NotificationKind, register
from tenants.accounts.models import User

if TYPE_CHECKING:
    from practice.notifications.models import Notification

STAFF_LINK = "/documents/forms/"


def _form_still_open(notification: Notification) -> bool:
    """Nothing to tell once the client has submitted it or staff withdrew it."""
    from practice.formbuilder.models import FormAssignment

    return FormAssignment.objects.filter(
        pk=notification.context.get("form_assignment_id"),
        status__in=[FormAssignment.Status.REQUESTED, FormAssignment.Status.IN_PROGRESS],
    ).exists()


FORM_REQUESTED = register(NotificationKind(
    key="form_requested",
    # Clients choose notices about things to fill in under "Questionnaires due".
    preference="assessments",
    subject="You have a form to fill in",
    push_body="Your practice has shared a form with you. Open your portal to fill it in.",
    link=lambda context: f"/portal/documents/forms/{context['form_assignment_id']}/",
    is_still_due=_form_still_open,
))


def _completed(user: User, since: datetime) -> int:
    from practice.formbuilder import selectors

    return selectors.completed_since(user, since)


def _signed(user: User, since: datetime) -> int:
    from practice.formbuilder import selectors

    return selectors.signed_since(user, since)



register_section(DigestSection(
    key="forms_completed", label="{count} forms completed", count=_completed,
    link=f"{STAFF_LINK}?status=completed", roles=roles_with(Capability.FORMS)))
register_section(DigestSection(
    key="forms_signed", label="{count} forms signed", count=_signed,
    link=f"{STAFF_LINK}?status=signed", roles=roles_with(Capability.FORMS)))
