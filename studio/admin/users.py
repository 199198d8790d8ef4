"""Django's user admin, with its "change password" form revoking the user's API tokens
(studio/views/passwords.py)."""
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from studio.views.passwords import StudioAdminPasswordChangeForm

User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StudioUserAdmin(UserAdmin):
    change_password_form = StudioAdminPasswordChangeForm
