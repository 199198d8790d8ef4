"""Plumbing for the labeling page's JSON endpoints: method check, CSRF answered in JSON, a Refusal → 4xx."""
from functools import wraps

from django.http import JsonResponse
from django.http.request import RawPostDataException
from django.core.exceptions import RequestDataTooBig
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from studio.services import annotation
from studio.services.refusals import Refusal

from .refusals import refused_json


class _JsonCsrf(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return JsonResponse({"error": f"CSRF check failed: {reason} Reload the page and try again."}, status=403)


_csrf = _JsonCsrf(lambda request: None)


def error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


class _TooLarge(Exception):
    """The request body is over Django's upload limit (HTTP's 413, not a service refusal)."""


def body_of(request) -> bytes:
    try:
        return request.body
    except (RequestDataTooBig, RawPostDataException):
        raise _TooLarge from None


def json_endpoint(method: str):
    """Wrap `view(request, dataset)`, which returns a JSON body (answered 200) or a response: the dataset comes
    from the URL's slug and must be one the user annotates."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, slug):
            if request.method != method:
                response = error(f"Use {method} for this endpoint.", 405)
                response["Allow"] = method
                return response
            if method == "POST":
                rejected = _csrf.process_view(request, None, (), {})
                if rejected is not None:
                    return rejected
            try:
                dataset = annotation.annotator_dataset(request.user, slug)
                answer = view(request, dataset)
            except Refusal as refusal:
                return refused_json(request, refusal)
            except _TooLarge:
                return error("The request body is too large.", 413)
            return answer if isinstance(answer, JsonResponse) else JsonResponse(answer)

        # CSRF is still checked (above, for POST), so that a failure answers JSON like every other error.
        return csrf_exempt(wrapper)

    return decorate
