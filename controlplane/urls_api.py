"""The REST API (`/api/v1/`), documented by drf-spectacular."""

from django.urls import include, path  # noqa: F401

urlpatterns: list = []
