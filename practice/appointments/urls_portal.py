"""The client's appointments (`/portal/appointments/`, namespace "portal:booking")."""

from django.urls import URLPattern, URLResolver, path

from practice.appointments import views_portal as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.appointment_list, name="list"),
    path("book/", views.book, name="book"),
    path("<int:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("<int:appointment_id>/join/", views.join, name="join"),
    path("<int:appointment_id>/move/", views.move, name="move"),
    path("waitlist/", views.waitlist, name="waitlist"),
    path("waitlist/<int:entry_id>/leave/", views.waitlist_leave, name="waitlist_leave"),
    path("offers/", views.offers, name="offers"),
    path("offers/<int:offer_id>/", views.offer_answer, name="offer_answer"),
]
