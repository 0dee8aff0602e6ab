"""What the staff form pages share: only the owner, clinicians and front desk get in (anyone
else signed in sees the not-found page, as if the pages did not exist); a client or form out of
reach is as missing as one that does not exist; each page showing a client's forms leaves a read
event with ids only."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from practice.formbuilder import selectors
from tenants.audit.services import RequestMeta, audit_record


def forms_staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.handles_forms(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def meta(request: HttpRequest) -> RequestMeta:
    return RequestMeta.from_request(request)


def read_event(request: HttpRequest, action: str, object_type: str, object_id: int,
               **detail: Any) -> None:
    audit_record(action=action, actor=request.user, object_type=object_type,
                 object_id=object_id, meta=meta(request), detail=detail)


def render_staff(request: HttpRequest, template: str, context: dict[str, Any],
                 status: int = 200) -> HttpResponse:
    return render(request, template, context, status=status)
