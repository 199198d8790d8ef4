"""Plumbing for the labeling page's JSON endpoints: method check, CSRF answered in JSON, AnnotationError → 4xx."""
from functools import wraps

from django.http import JsonResponse
from django.http.request import RawPostDataException
from django.core.exceptions import RequestDataTooBig
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from studio.services import annotation


class _JsonCsrf(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return JsonResponse({"error": f"CSRF check failed: {reason} Reload the page and try again."}, status=403)


_csrf = _JsonCsrf(lambda request: None)


def error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def body_of(request) -> bytes:
    try:
        return request.body
    except (RequestDataTooBig, RawPostDataException):
        raise annotation.AnnotationError("The request body is too large.", 413)


def json_endpoint(method: str):
    """Wrap `view(request, dataset)`: the dataset comes from the URL's slug and must be one the user annotates."""

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
                status, body = view(request, dataset)
            except annotation.AnnotationError as e:
                return error(e.message, e.status)
            return JsonResponse(body, status=status)

        # CSRF is still checked (above, for POST), so that a failure answers JSON like every other error.
        return csrf_exempt(wrapper)

    return decorate
