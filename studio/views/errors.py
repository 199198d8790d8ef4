"""The site's 403 and 404 pages (Django's handler403/handler404, studio/urls.py): the studio's layout, what
was refused when the view said why (PermissionDenied("...") / Http404("...")), and a way back. The API under
/api/ answers its own JSON errors and never reaches these."""
from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token


def _message(exception) -> str:
    """The view's own words, if it gave any (Django's URL resolver gives a dict: nothing to show)."""
    args = getattr(exception, "args", ())
    message = args[0] if args and isinstance(args[0], str) else ""
    # get_object_or_404's "No ElicitationRun matches the given query." names a model class, not a reason.
    return "" if message.endswith("matches the given query.") else message


@requires_csrf_token  # the layout's log-out form needs a token even when no view ran
def permission_denied(request, exception=None):
    return render(request, "403.html", {"message": _message(exception)}, status=403)


@requires_csrf_token
def page_not_found(request, exception=None):
    return render(request, "404.html", {"message": _message(exception), "request_path": request.path}, status=404)
