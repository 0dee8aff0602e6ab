from django.urls import path

from branding import views

urlpatterns = [
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("branding/<int:version>/<slug:variant>.png", views.asset, name="branding_asset"),
]
