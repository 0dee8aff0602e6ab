"""URLs of a practice's host (`<subdomain>.<PLATFORM_DOMAIN>`)."""

from django.urls import include, path

from controlplane import auth_views
from practice.access import Capability, declares

urlpatterns = [
    path("accounts/", include("controlplane.urls_auth")),
    path("auth/handoff/", declares(Capability.PUBLIC)(auth_views.handoff), name="handoff"),
    path("", include("branding.urls")),
    path("settings/audit/", include("practice.audit_trail.urls")),
    path("settings/", include("practice.configuration.urls")),
    path("clinic/", include(("practice.measurement.urls_clinic", "clinic"))),
    path("care/", include(("practice.care.urls", "care"))),
    path("outcomes/", include(("practice.outcomes.urls", "outcomes"))),
    path("clients/", include("practice.clients.urls")),
    path("billing/", include("billing.urls_practice")),
    # Feature areas of the staff side; each namespace is its module key, so the module gate
    # answers 404 while the practice has it off.
    path("messages/", include(("practice.messaging.urls_staff", "messaging"))),
    path("documents/", include(([
        path("files/", include(("practice.documents.urls_staff", "files"))),
        path("forms/", include(("practice.formbuilder.urls_staff", "forms"))),
    ], "documents"))),
    path("appointments/", include(("practice.appointments.urls_staff", "booking"))),
    path("invoices/", include(("practice.invoices.urls_staff", "billing"))),
    path("notifications/", include(("practice.notifications.urls", "notifications"))),
    path("engagement/", include(("practice.engagement.urls", "engagement"))),
    # Releases of information and disclosures: never behind a module (a release in force and
    # the accounting of disclosures cannot be turned off).
    path("disclosure/", include(("practice.disclosure.urls_staff", "disclosure"))),
    path("shared/", include(("practice.disclosure.urls", "shared"))),
    path("expected/", include(("practice.expected.urls_staff", "expected"))),
    path("portal/", include("portal.urls")),
    # Proxies (parents, guardians) and the client's own page of who sees what; not a module.
    path("family/", include(("practice.family.urls_portal", "family"))),
    path("api/v1/", include(("config.urls_api", "api"))),
    path("", include("practice.urls")),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
