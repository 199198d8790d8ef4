"""What every studio API view shares: authentication (token first, so an anonymous call gets 401 with a
WWW-Authenticate header), login required, the schema class that documents error responses, and role checks
that answer 403 with a message once the object itself is known to be visible."""
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated

from studio.services import policies

from .authentication import ApiTokenAuthentication
from .schema import StudioAutoSchema


def _policy(view) -> policies.Policy:
    return view.policy  # every view using these classes names its resource's policy (studio.services.policies)


class AdminWrites(BasePermission):
    """Reads are scoped by the view's queryset; writes ask the view's resource policy."""

    message = "Only admins change this."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or _policy(view).can_write(request.user)


class AdminOnly(BasePermission):
    """Every action asks the view's resource policy whether the user administers it."""

    message = "Only admins may do this."

    def has_permission(self, request, view):
        return _policy(view).can_administer(request.user)


class StudioAPIMixin:
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    schema = StudioAutoSchema()


@csrf_exempt  # it changes nothing; the CSRF check would answer a POST with the site's HTML 403 instead
def not_found(request, *args, **kwargs):
    return JsonResponse({"detail": "Not found."}, status=404)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)
