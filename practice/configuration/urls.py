from django.urls import path

from practice.configuration import domain_views, views

urlpatterns = [
    path("", views.settings_home, name="settings_home"),
    path("branding/", views.branding_settings, name="settings_branding"),
    path("modules/", views.modules_settings, name="settings_modules"),
    path("messaging/", views.messaging_settings, name="settings_messaging"),
    path("instruments/", views.instruments_settings, name="settings_instruments"),
    path("subdomain/", views.subdomain_settings, name="settings_subdomain"),
    path("domain/", domain_views.domain_settings, name="settings_domain"),
]
