"""urls_portal of invoices (filled in as the feature lands)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
