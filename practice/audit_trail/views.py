"""The owner's audit trail page and its CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from practice.access import Capability, requires
from practice.audit_trail import selectors
from practice.audit_trail.forms import TrailFilterForm
from tenants.accounts.models import Role
from tenants.audit.actions import Action
from tenants.audit.models import AuditEvent
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import SignedInRequest

PAGE_SIZE = 50
CSV_CHUNK = 2000
ROLE_LABELS = dict(Role.choices)


def _who(event: AuditEvent, people: dict[int, selectors.Person]) -> str:
    if event.actor_id is None:
        return "The system"
    person = people.get(event.actor_id)
    role = ROLE_LABELS.get(event.actor_role, event.actor_role) or "no role"
    if person is None:
        return f"#{event.actor_id} ({role}, not a person of this practice)"
    return f"{person.name} ({role})"


def _detail(event: AuditEvent) -> str:
    return json.dumps(event.detail, sort_keys=True, ensure_ascii=False) if event.detail else ""


def _rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    people = selectors.people(event.actor_id for event in events)
    return [{"event": event, "who": _who(event, people), "detail": _detail(event),
             "about": f"{event.object_type} {event.object_id}".strip()} for event in events]


@requires(Capability.MANAGE_PRACTICE)
def audit_trail(request: SignedInRequest) -> HttpResponseBase:
    form = TrailFilterForm(request.GET or None)
    zone = selectors.viewer_zone(request.user)
    filters = form.filters(zone)
    invalid = form.is_bound and not form.is_valid()
    wants_csv = request.GET.get("format") == "csv" and not invalid
    audit_record(action=Action.AUDIT_TRAIL_EXPORTED if wants_csv else Action.AUDIT_TRAIL_VIEWED,
                 actor=request.user, object_type="audit_trail",
                 meta=RequestMeta.from_request(request), detail=filters.as_detail())
    events = selectors.audit_events(filters)
    if wants_csv:
        return _csv(events, zone)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    csv_query = query.copy()
    csv_query["format"] = "csv"
    return render(request, "practice/settings/audit_trail.html", {
        "form": form, "page": page, "rows": _rows(list(page.object_list)), "zone": zone,
        "query": query.urlencode(), "csv_query": csv_query.urlencode(),
    }, status=400 if invalid else 200)


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_COLUMNS = ["occurred_at", "action", "actor_id", "actor", "actor_role", "object_type",
               "object_id", "ip_address", "user_agent", "detail"]


def _csv(events: Any, zone: ZoneInfo) -> StreamingHttpResponse:
    """Streamed in chunks (a long trail never sits in memory), each chunk's people read in one
    query. Times in the owner's zone with their offset."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        chunk: list[AuditEvent] = []
        for event in events.iterator(chunk_size=CSV_CHUNK):
            chunk.append(event)
            if len(chunk) == CSV_CHUNK:
                yield from _csv_lines(writer, chunk, zone)
                chunk = []
        yield from _csv_lines(writer, chunk, zone)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response


def _csv_lines(writer: Any, events: list[AuditEvent], zone: ZoneInfo) -> Iterator[str]:
    people = selectors.people(event.actor_id for event in events)
    for event in events:
        person = people.get(event.actor_id) if event.actor_id is not None else None
        yield writer.writerow([
            event.occurred_at.astimezone(zone).isoformat(), event.action, event.actor_id or "",
            person.name if person else "", event.actor_role, event.object_type,
            event.object_id, event.ip_address or "", event.user_agent, _detail(event)])
