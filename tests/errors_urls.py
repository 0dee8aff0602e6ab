"""The practice host's URLs plus two that fail, to see the 500 pages people get."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from controlplane.urls_tenant import (  # noqa: F401
    handler400,
    handler403,
    handler404,
    handler500,
)
from controlplane.urls_tenant import urlpatterns as tenant_patterns


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("kaboom-7c1 in the view")


urlpatterns = [path("boom/", boom), path("api/v1/boom", boom), *tenant_patterns]
