"""Password changes, wherever they happen (the person's own change form, the emailed reset link, the admin's
"change password" form), revoke the user's API tokens: a script keeps no access the old password gave.
Each form's save() calls the service; there is no signal, so nothing else changes a password by surprise."""
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AdminPasswordChangeForm, PasswordChangeForm, SetPasswordForm

from studio.services import api_tokens


class _RevokesTokens:
    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            api_tokens.revoke_all_tokens(user)
        return user


class StudioPasswordChangeForm(_RevokesTokens, PasswordChangeForm):
    pass


class StudioSetPasswordForm(_RevokesTokens, SetPasswordForm):
    pass


class StudioAdminPasswordChangeForm(_RevokesTokens, AdminPasswordChangeForm):
    pass


password_change = auth_views.PasswordChangeView.as_view(form_class=StudioPasswordChangeForm)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(form_class=StudioSetPasswordForm)
