"""The billing staff's pages on the control plane (namespace "billing_staff")."""

from django.urls import path

from billing import views

app_name = "billing_staff"
urlpatterns = [
    path("", views.staff_subscription_list, name="list"),
    path("practices/<int:practice_id>/", views.staff_billing_record, name="record"),
    path("practices/<int:practice_id>/<slug:action>/", views.staff_billing_action,
         name="action"),
]
