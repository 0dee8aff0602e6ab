from django.urls import path

from branding import views
from practice.access import Capability, declares

public = declares(Capability.PUBLIC)

urlpatterns = [
    path("manifest.webmanifest", public(views.manifest), name="manifest"),
    path("branding/<int:version>/<slug:variant>.png", public(views.asset), name="branding_asset"),
]
