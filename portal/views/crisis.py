"""Crisis help: the practice's crisis line, 988 (call or text) and 911, each one tap. Never
behind a module, never behind a sign-in: anyone on the practice's host can open it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def crisis_help(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/help.html")
