"""The API's one exception handler: a service's Refusal becomes its status (views/refusals.STATUS: invalid 400,
forbidden 403 (401 when not logged in), not_found 404, conflict 409, unavailable 503) with the body
{"detail": message}, plus {field: message} when the refusal names a field (the key a client reading DRF's
validation errors looks for), plus the refusal's `extra` data if it has any. Everything else goes to DRF's handler."""
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from studio.services.refusals import Refusal
from studio.views.refusals import status_of


def refusal_body(refusal: Refusal) -> dict:
    body = {"detail": str(refusal)}
    if refusal.field and refusal.field != "detail":
        body[refusal.field] = str(refusal)
    # A refusal may carry data a client acts on (a run's estimate when it needs confirmation): JSON-safe keys.
    body.update({k: v for k, v in (getattr(refusal, "extra", None) or {}).items() if k not in body})
    return body


def exception_handler(exc, context):
    if isinstance(exc, Refusal):
        request = context.get("request")
        return Response(refusal_body(exc), status=status_of(exc, getattr(request, "user", None)))
    return drf_exception_handler(exc, context)
