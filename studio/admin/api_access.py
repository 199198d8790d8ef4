"""Admin for API tokens (admins see and revoke anyone's; keys are never shown: only their hash is stored)
and for import jobs uploaded over the API."""
from django.contrib import admin, messages

from studio.models import ApiToken, ImportJob
from studio.services import api_tokens, policies

from .policy import PolicyAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(PolicyAdmin):
    policy = policies.administration
    list_display = ["name", "user", "prefix", "created_at", "last_used_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "user__username", "prefix"]
    raw_id_fields = ["user"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["prefix", "created_at", "last_used_at"] + (["user"] if obj else [])

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new token gets a fresh key through the service; the admin sees it once, in the message.
        token, key = api_tokens.create_token(obj.user, obj.name)
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = token.pk, token.prefix, token.key_hash, token.created_at
        messages.warning(request, f"Key for '{token.name}' ({token.user}): {key} — copy it now, it is not shown again.")


@admin.register(ImportJob)
class ImportJobAdmin(PolicyAdmin):
    policy = policies.imports
    list_display = ["id", "name", "fmt", "state", "dataset", "example_count", "created_by", "created_at"]
    list_filter = ["state", "fmt"]
    search_fields = ["name", "original_filename"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]
    list_select_related = ["dataset", "created_by"]

    def has_add_permission(self, request):
        return False  # uploads come in through the API (or the import command)
