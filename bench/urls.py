"""Practice hosts while a benchmark runs: the practice's own URLs plus a minimal page."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def minimal(request: HttpRequest) -> HttpResponse:
    """Through every middleware a page goes through (session, user, tenant), nothing rendered:
    the floor a page's cost is compared with."""
    return HttpResponse("ok" if request.user.is_authenticated else "no")


urlpatterns = [
    path("bench/minimal/", minimal),
    path("", include("config.urls_tenant")),
]
