from django.urls import path

from controlplane import auth_views

urlpatterns = [
    path("sign-in/", auth_views.SignInView.as_view(), name="login"),
    path("sign-out/", auth_views.sign_out, name="logout"),
    path("password-reset/", auth_views.PasswordResetRequestView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
]
