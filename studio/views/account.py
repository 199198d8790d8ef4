"""The user's profile page: their roles, and the API tokens they create and revoke themselves."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from studio.models import Membership
from studio.services import access, api_tokens

from .refusals import flashed

NEW_KEY_SESSION = "account_new_token_key"


@login_required
def profile(request):
    user = request.user
    context = {
        "is_admin": access.is_admin(user),
        "memberships": Membership.objects.filter(user=user).select_related("dataset").order_by("dataset__name", "role"),
        "tokens": user.api_tokens.all(),
        # A new key is shown once: popped from the session on the first page view after creating it.
        "new_key": request.session.pop(NEW_KEY_SESSION, None),
        "api_base": request.build_absolute_uri("/api/"),
    }
    return render(request, "account/profile.html", context)


@login_required
@require_POST
def create_token(request):
    with flashed(request):
        token, key = api_tokens.create_token(request.user, request.POST.get("name", ""))
        request.session[NEW_KEY_SESSION] = {"name": token.name, "key": key}
    return redirect("account:profile")


@login_required
@require_POST
def revoke_token(request, token_id: int):
    with flashed(request):
        token = api_tokens.revoke_token(request.user, token_id)
        messages.success(request, f"Token '{token.name}' revoked: scripts using it are refused from now on.")
    return redirect("account:profile")
