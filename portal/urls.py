"""The client's portal (`/portal/`). Module pages sit under their module's namespace, so turning
a module off answers 404 here at once."""

from django.urls import include, path  # noqa: F401

app_name = "portal"
urlpatterns: list = []
