"""/accounts/: log in and out, change one's password; the emailed password reset only where mail is
configured (EMAIL_HOST set): without mail, an anonymous reset form would promise a message that never comes."""
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path

from . import passwords

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", passwords.password_change, name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
if settings.EMAIL_HOST:
    urlpatterns += [
        path("password_reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
        path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
        path("reset/<uidb64>/<token>/", passwords.password_reset_confirm, name="password_reset_confirm"),
        path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    ]
