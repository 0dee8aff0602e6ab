"""What the staff form pages share: only the owner, clinicians and front desk get in (anyone
else signed in sees the not-found page, as if the pages did not exist); a client or form out of
reach is as missing as one that does not exist; each page showing a client's forms leaves a read
event with ids only."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from practice.access import Capability, requires
from tenants.audit.services import audit_record
from tenants.requests import PracticeRequest

forms_staff_required = requires(Capability.FORMS)


def read_event(request: PracticeRequest, action: str, object_type: str, object_id: int,
               **detail: Any) -> None:
    audit_record(action=action, actor=request.actor, object_type=object_type,
                 object_id=object_id, detail=detail)


def render_staff(request: HttpRequest, template: str, context: dict[str, Any],
                 status: int = 200) -> HttpResponse:
    return render(request, template, context, status=status)
