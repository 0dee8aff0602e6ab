from django.urls import path

from practice.audit_trail import views

urlpatterns = [
    path("", views.audit_trail, name="audit_trail"),
]
