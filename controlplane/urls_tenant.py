"""URLs of a practice's host (`<subdomain>.<PLATFORM_DOMAIN>`)."""

from django.urls import include, path

from controlplane import auth_views

urlpatterns = [
    path("accounts/", include("controlplane.urls_auth")),
    path("auth/handoff/", auth_views.HandoffView.as_view(), name="handoff"),
    path("", include("branding.urls")),
    path("settings/", include("practice.configuration.urls")),
    path("", include("practice.urls")),
]

handler500 = "controlplane.views.server_error"
