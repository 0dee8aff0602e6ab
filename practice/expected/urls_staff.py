"""Staff URLs of expected paths (`/expected/`, namespace `expected`). Not a module of its own:
it follows the assessments it reads."""

from django.urls import URLPattern, URLResolver, path

from practice.expected import views_staff

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_staff.paths, name="paths"),
    path("<slug:instrument_key>/calibrate/", views_staff.calibrate, name="calibrate"),
    path("calibrations/<int:calibration_id>/adopt/", views_staff.adopt, name="adopt"),
    path("<slug:instrument_key>/<slug:band>/default/", views_staff.restore_default,
         name="restore_default"),
    path("alerts/<int:alert_id>/support/", views_staff.support, name="support"),
    path("clients/<int:client_id>/share/", views_staff.share, name="share"),
]
