"""Turning a service's Refusal into what a page answers: a status, an error page, a flashed message, a form
error on the field it names, or the labeling page's JSON error. The API's handler (studio/api/errors.py) uses
the same statuses."""
from contextlib import contextmanager

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import render

from studio.services.refusals import CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, UNAVAILABLE, Refusal

STATUS = {INVALID: 400, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, UNAVAILABLE: 503}


def status_of(refusal: Refusal, user=None) -> int:
    """The HTTP status for `refusal`; a forbidden one to an anonymous user is 401 (log in first)."""
    if refusal.kind == FORBIDDEN and user is not None and not user.is_authenticated:
        return 401
    return STATUS[refusal.kind]


def refused_page(request, template: str, refusal: Refusal, context: dict | None = None):
    """Render `template` with the refusal's message (as `message`) and its status."""
    return render(request, template, {**(context or {}), "message": str(refusal)},
                  status=status_of(refusal, request.user))


def refused_json(request, refusal: Refusal) -> JsonResponse:
    """The studio pages' JSON error body: {"error": message}, plus "field" when the refusal names one."""
    body = {"error": str(refusal)}
    if refusal.field:
        body["field"] = refusal.field
    return JsonResponse(body, status=status_of(refusal, request.user))


@contextmanager
def flashed(request, prefix: str = ""):
    """`with flashed(request): ...` — a Refusal raised inside stops the block and becomes messages.error."""
    try:
        yield
    except Refusal as refusal:
        messages.error(request, f"{prefix}{refusal}")


def form_error(form, refusal: Refusal, prefix: str = "", *, on_field: bool = True) -> None:
    """Show `refusal` on the form: on the field it names when the form has that field, else above the form."""
    field = refusal.field if on_field and refusal.field in form.fields else None
    form.add_error(field, f"{prefix}{refusal}")
