"""Reads of forms. Who handles forms: the owner and front desk for every client, a clinician for
the clients on their caseload; billing staff never. A form out of reach and a form that does not
exist look the same (DoesNotExist, so a 404)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Max, Q, QuerySet

from practice.access import Capability, clients_in_reach
from practice.formbuilder.models import FormAssignment, FormTemplate, FormVersion
from tenants.accounts.models import User

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def _assignments() -> QuerySet[FormAssignment]:
    return FormAssignment.objects.select_related("client", "version", "requested_by")


def assignments_for_staff(user: User, *, status: str = "",
                          client_id: int | None = None) -> QuerySet[FormAssignment]:
    rows = _assignments().filter(client__in=clients_in_reach(user, Capability.FORMS))
    if status:
        rows = rows.filter(status=status)
    if client_id is not None:
        rows = rows.filter(client_id=client_id)
    return rows.order_by("-requested_at", "-pk")


def assignment_for_staff(user: User, assignment_id: int) -> FormAssignment:
    """Raises FormAssignment.DoesNotExist when out of reach or missing alike."""
    return (_assignments().select_related("signature")
            .filter(client__in=clients_in_reach(user, Capability.FORMS)).get(pk=assignment_id))


def assignments_for_client(client: User) -> QuerySet[FormAssignment]:
    """What the client sees: their forms, withdrawn ones left out."""
    return (FormAssignment.objects.select_related("version")
            .filter(client=client).exclude(status=FormAssignment.Status.WITHDRAWN)
            .order_by("-requested_at", "-pk"))


def assignment_for_client(client: User, assignment_id: int) -> FormAssignment:
    return (assignments_for_client(client).select_related("signature", "client")
            .get(pk=assignment_id))


def open_count_for_client(client: User) -> int:
    return assignments_for_client(client).filter(
        status__in=[FormAssignment.Status.REQUESTED, FormAssignment.Status.IN_PROGRESS]).count()


def status_counts_for_staff(user: User) -> dict[str, int]:
    rows = (FormAssignment.objects.filter(client__in=clients_in_reach(user, Capability.FORMS))
            .values("status").annotate(count=Count("pk")))
    counts = dict.fromkeys(FormAssignment.Status.values, 0)
    counts.update({row["status"]: row["count"] for row in rows})
    return counts


# --- templates -------------------------------------------------------------------------------

class LatestVersion(TypedDict):
    latest_version: int | None  # the newest version's number; None before the first


def templates(*, include_archived: bool = False
              ) -> QuerySet[WithAnnotations[FormTemplate, LatestVersion]]:
    rows = FormTemplate.objects.annotate(latest_version=Max("versions__number"))
    return rows if include_archived else rows.filter(is_archived=False)


def shareable_templates() -> QuerySet[WithAnnotations[FormTemplate, LatestVersion]]:
    """Templates with a published version, not archived."""
    return templates().filter(latest_version__isnull=False)


def template_by_id(template_id: int) -> FormTemplate:
    return templates(include_archived=True).get(pk=template_id)


def latest_version(template: FormTemplate) -> FormVersion | None:
    return template.versions.order_by("-number").first()


def versions_of(template: FormTemplate) -> QuerySet[FormVersion]:
    return template.versions.select_related("published_by").order_by("-number")


# --- the staff digest ---------------------------------------------------------------------------

def completed_since(user: User, since: datetime) -> int:
    return FormAssignment.objects.filter(client__in=clients_in_reach(user, Capability.FORMS),
                                         submitted_at__gte=since).count()


def signed_since(user: User, since: datetime) -> int:
    return FormAssignment.objects.filter(Q(client__in=clients_in_reach(user, Capability.FORMS)),
                                         signed_at__gte=since).count()
