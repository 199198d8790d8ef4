"""Password changes, wherever they happen (the person's own change form, the emailed reset link, the admin's
"change password" form), revoke the user's API tokens: a script keeps no access the old password gave.
Each form's save() calls the service; there is no signal, so nothing else changes a password by surprise.
The change form's "old password" is a password guess like a login's: counted and locked out the same way
(studio.auth_backends)."""
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_message
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AdminPasswordChangeForm, PasswordChangeForm, SetPasswordForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError

from studio.auth_backends import address_locked_out
from studio.services import api_tokens


class _RevokesTokens:
    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            api_tokens.revoke_all_tokens(user)
        return user


class StudioPasswordChangeForm(_RevokesTokens, PasswordChangeForm):
    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_old_password(self):
        credentials = {"username": self.user.get_username()}
        if self.request is not None and (address_locked_out(self.request)
                                         or not AxesProxyHandler.is_allowed(self.request, credentials)):
            raise ValidationError(get_lockout_message(), code="locked_out")
        try:
            return super().clean_old_password()
        except ValidationError:
            if self.request is not None:
                user_login_failed.send(sender=type(self), credentials=credentials, request=self.request)
            raise


class StudioSetPasswordForm(_RevokesTokens, SetPasswordForm):
    pass


class StudioAdminPasswordChangeForm(_RevokesTokens, AdminPasswordChangeForm):
    pass


class _PasswordChangeView(auth_views.PasswordChangeView):
    form_class = StudioPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


password_change = _PasswordChangeView.as_view()
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(form_class=StudioSetPasswordForm)
