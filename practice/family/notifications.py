"""The family feature's notice: "a questionnaire is waiting for you", to a proxy whose caregiver
questionnaire falls due (written by the periodic job `family_caregiver_reminders`). Email only
(proxies get no pushes), fixed wording, a link to `/family/`: no client, no instrument, no
answer. Imported by FamilyConfig.ready()."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from practice.family.models import CaregiverAssignment
from practice.family.selectors import caregiver_due
from practice.notifications.kinds import NotificationKind, register

if TYPE_CHECKING:
    from practice.notifications.models import Notification


def _still_due(notification: Notification) -> bool:
    """Only while the occurrence is the one due now and unanswered, the assignment open and
    its link in force."""
    context = notification.context or {}
    try:
        assignment_id = int(context["assignment_id"])
        occurrence = date.fromisoformat(str(context["occurrence"]))
    except (KeyError, TypeError, ValueError):
        return False
    assignment = (CaregiverAssignment.objects.select_related("link")
                  .filter(pk=assignment_id, link__proxy_id=notification.recipient_id).first())
    if assignment is None:
        return False
    # Still the occurrence due now (a newer one replaces it), unanswered, link in force.
    return any(due.assignment.pk == assignment_id and due.occurrence_date == occurrence
               for due in caregiver_due(assignment.link)) and assignment.link.state == "active"


CAREGIVER_DUE = register(NotificationKind(
    key="caregiver_report_due",
    preference="assessments",
    subject="A questionnaire is waiting for you",
    push_body="A questionnaire is waiting for you",
    link=lambda context: "/family/",
    is_still_due=_still_due,
))
