"""The owner's billing pages on a practice's host. Namespace "subscription", not "billing": that
key is the client-billing module, which the module gate answers 404 for while it is off."""

from django.urls import path

from billing import views

app_name = "subscription"
urlpatterns = [
    path("", views.practice_billing, name="home"),
    path("checkout/", views.practice_checkout, name="checkout"),
    path("portal/", views.practice_portal, name="portal"),
]
