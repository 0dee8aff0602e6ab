"""URLs of the control plane (the platform's own host)."""

from django.urls import include, path

from billing import views as billing_views
from controlplane import fleet_views, mfa_views, views

operator_patterns = (
    [
        path("", views.practice_list, name="practices"),
        path("fleet/", fleet_views.fleet_view, name="fleet"),
        path("migrations/", fleet_views.migrations_view, name="migrations"),
        path("migrations/<int:run_id>/progress/", fleet_views.migration_progress,
             name="migration_progress"),
        path("practices/<int:practice_id>/<slug:action>/", views.practice_lifecycle,
             name="practice_lifecycle"),
    ],
    "operator",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("accounts/two-step/", mfa_views.mfa_setup, name="platform_mfa"),
    path("accounts/two-step/verify/", mfa_views.mfa_verify, name="platform_mfa_verify"),
    path("accounts/", include("controlplane.urls_auth")),
    path("operator/", include(operator_patterns)),
    path("billing/", include("billing.urls")),
    path("stripe/webhook", billing_views.stripe_webhook, name="stripe_webhook"),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
