from django.urls import path

from controlplane import auth_views
from practice.access import Capability, declares

public = declares(Capability.PUBLIC)

urlpatterns = [
    path("sign-in/", public(auth_views.SignInView.as_view()), name="login"),
    path("sign-out/", public(auth_views.sign_out), name="logout"),
    path("password-reset/", public(auth_views.PasswordResetRequestView.as_view()),
         name="password_reset"),
    path("password-reset/sent/", public(auth_views.PasswordResetDoneView.as_view()),
         name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", public(auth_views.PasswordResetConfirmView.as_view()),
         name="password_reset_confirm"),
    path("password-reset/done/", public(auth_views.PasswordResetCompleteView.as_view()),
         name="password_reset_complete"),
]
