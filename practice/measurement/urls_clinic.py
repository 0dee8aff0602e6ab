"""Staff clinical pages for measurement (`/clinic/`)."""

from django.urls import include, path  # noqa: F401

urlpatterns: list = []
