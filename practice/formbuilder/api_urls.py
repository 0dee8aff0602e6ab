"""api_urls of formbuilder (filled in as the feature lands)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
