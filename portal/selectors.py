"""Reads for the client's portal: a client's own measurement data, never anyone else's.

Every selector runs a fixed number of queries, whatever the length of the client's history."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from practice.models import Response
from tenants.accounts.models import User

SCORE_FIELDS = ("id", "client_id", "instrument_key", "definition_version", "total", "band_key",
                "band_label", "subscales", "submitted_at", "prorated")


def client_response(client: User, response_id: int) -> Response:
    """One of the client's own responses; another client's and a missing one both raise
    Response.DoesNotExist."""
    return Response.objects.get(pk=response_id, client=client)


def _scored(client: User) -> QuerySet[Response]:
    """Submitted, scored responses that count (entered-in-error ones never do)."""
    return Response.objects.filter(client=client, status=Response.Status.SUBMITTED,
                                   is_scored=True, entered_in_error_at__isnull=True)


def recent_scores(client: User, *, per_instrument: int = 5,
                  exclude: tuple[str, ...] = ()) -> dict[str, list[Response]]:
    """The latest `per_instrument` scores of each instrument, oldest first, in one query."""
    rows = (_scored(client).exclude(instrument_key__in=exclude)
            .annotate(recency=Window(RowNumber(), partition_by=[F("instrument_key")],
                                     order_by=[F("submitted_at").desc(), F("pk").desc()]))
            .filter(recency__lte=per_instrument)
            .only(*SCORE_FIELDS)
            .order_by("instrument_key", "submitted_at", "pk"))
    grouped: dict[str, list[Response]] = defaultdict(list)
    for row in rows:
        grouped[row.instrument_key].append(row)
    return dict(grouped)


def score_histories(client: User, *, exclude: tuple[str, ...] = ()) -> dict[str, list[Response]]:
    """Every score of every instrument, oldest first, in one query."""
    grouped: dict[str, list[Response]] = defaultdict(list)
    for row in (_scored(client).exclude(instrument_key__in=exclude).only(*SCORE_FIELDS)
                .order_by("instrument_key", "submitted_at", "pk")):
        grouped[row.instrument_key].append(row)
    return dict(grouped)


def completions_since(client: User, since: datetime) -> int:
    return Response.objects.filter(client=client, status=Response.Status.SUBMITTED,
                                   submitted_at__gte=since).count()


def recent_results(client: User, *, limit: int = 20,
                   exclude: tuple[str, ...] = ()) -> list[Response]:
    """The client's latest submitted responses, newest first (entered-in-error ones included,
    so a client can see that one was set aside)."""
    return list(Response.objects.filter(client=client, status=Response.Status.SUBMITTED)
                .exclude(instrument_key__in=exclude)
                .only(*SCORE_FIELDS, "entered_in_error_at")
                .order_by("-submitted_at", "-pk")[:limit])


def mood_entries(client: User, since: datetime) -> list[Response]:
    """Mood check-ins submitted since `since`, oldest first."""
    return list(_scored(client).filter(instrument_key="mood", submitted_at__gte=since)
                .only("id", "total", "note", "submitted_at").order_by("submitted_at", "pk"))
