"""The practice host's URLs plus some that fail or refuse, to see the pages people get."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from config.urls_tenant import (  # noqa: F401
    handler400,
    handler403,
    handler404,
    handler500,
)
from config.urls_tenant import urlpatterns as tenant_patterns
from tenants.accounts.models import User
from tenants.refusals import Conflict, Missing


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("kaboom-7c1 in the view")


REFUSALS = {"missing": Missing(), "conflict": Conflict("That time was just taken."),
            "lookup": User.DoesNotExist()}


def refused(request: HttpRequest, kind: str) -> HttpResponse:
    raise REFUSALS[kind]


class Refusing(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request, kind: str) -> HttpResponse:
        raise REFUSALS[kind]


urlpatterns = [path("boom/", boom), path("api/v1/boom", boom),
               path("refused/<str:kind>/", refused),
               path("api/v1/refused/<str:kind>", Refusing.as_view()), *tenant_patterns]
