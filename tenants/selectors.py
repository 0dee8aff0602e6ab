"""Reads of the control-plane data. Never reads a practice's clinical tables."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from tenants.db import connection
from tenants.models import Domain, Practice

CLIENT_ROLE = "client"


def current_practice() -> Practice:
    """The practice whose schema this connection is in: for jobs, which run inside the schema
    their message carries (config.broker), and for code below a job. A request has
    `request.tenant` instead. In the public schema: Practice.DoesNotExist."""
    return Practice.objects.get(schema_name=connection.schema_name)


@dataclass(frozen=True)
class PracticeCounts:
    staff: int
    clients: int


def practice_list() -> QuerySet[Practice]:
    return Practice.objects.order_by("name")


def practice_by_id(practice_id: int) -> Practice | None:
    return Practice.objects.filter(pk=practice_id).first()


def practice_by_subdomain(subdomain: str) -> Practice | None:
    return Practice.objects.filter(subdomain=subdomain).first()


def subdomain_is_taken(subdomain: str) -> bool:
    """Taken by a practice, or still redirecting to one after a rename."""
    host = practice_host(subdomain)
    return (
        Practice.objects.filter(subdomain=subdomain).exists()
        or Domain.objects.filter(domain=host)
        .filter(Q(is_primary=True) | Q(redirect_until__gt=timezone.now()))
        .exists()
    )


def practice_host(subdomain: str) -> str:
    return f"{subdomain}.{settings.PLATFORM_DOMAIN}"


def practice_url(subdomain: str, path: str = "/") -> str:
    port = f":{settings.PLATFORM_PORT}" if settings.PLATFORM_PORT else ""
    return f"{settings.PLATFORM_SCHEME}://{practice_host(subdomain)}{port}{path}"


def practice_client_url(practice: Practice, path: str = "/") -> str:
    """The clients' canonical address: the practice's own verified domain when it has one
    (tenants.custom_domains), else its subdomain. Emails, push links, the manifest, calendar
    feeds and invitations use it."""
    if not practice.custom_domain:
        return practice_url(practice.subdomain, path)
    port = f":{settings.PLATFORM_PORT}" if settings.PLATFORM_PORT else ""
    return f"{settings.PLATFORM_SCHEME}://{practice.custom_domain}{port}{path}"


def practice_counts(practices: list[Practice]) -> dict[int, PracticeCounts]:
    """Active staff and client counts for a page of practices, in one query.

    Counts only: the operator console never reads a practice's clinical data.
    """
    if not practices:
        return {}
    parts = []
    params: list[int | str] = []
    for practice in practices:
        schema = connection.ops.quote_name(practice.schema_name)
        parts.append(
            "SELECT %s AS practice_id,"
            " count(*) FILTER (WHERE role <> %s) AS staff,"
            " count(*) FILTER (WHERE role = %s) AS clients"
            f" FROM {schema}.accounts_user WHERE is_active"
        )
        params.extend([practice.pk, CLIENT_ROLE, CLIENT_ROLE])
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {row[0]: PracticeCounts(staff=row[1], clients=row[2]) for row in cursor.fetchall()}
