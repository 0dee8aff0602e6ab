"""A tenant URLconf with one page per portal module under the module's namespace, so the gate can
be tested for every module before each module's real pages exist."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from config.urls_tenant import (  # noqa: F401
    handler400,
    handler403,
    handler404,
    handler500,
)
from config.urls_tenant import urlpatterns as tenant_patterns
from tenants.features import MODULES


def module_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("module page")


# Under an outer "probe" namespace, so the real namespaces (documents:forms:..., used by the
# menus) still reverse to the real pages; the gate sees the module key among the namespaces.
probe_patterns = [
    path(f"module-probe/{module.key}/", include(([path("", module_page, name="page")],
                                                 module.key)))
    for module in MODULES
]
urlpatterns = [path("", include((probe_patterns, "probe")))] + list(tenant_patterns)
