"""The adjudicator's blind pages and the JSON endpoints the adjudication page calls. What they answer comes
from studio.services.adjudication.queue: the item as annotators see it, never a source, its label, a score, the
stratum or gold. Logic lives in the service; these only translate HTTP."""
import json
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie

from studio.services import adjudication
from studio.services.refusals import Refusal

from .annotate_json import _csrf, _TooLarge, body_of, error
from .refusals import refused_json, refused_page


@login_required
def index(request):
    rows = [(adj, adjudication.progress(adj, request.user)) for adj in adjudication.adjudicatable(request.user)]
    return render(request, "adjudicate/index.html", {"rows": rows})


@login_required
@ensure_csrf_cookie
def page(request, pk):
    try:
        adj = adjudication.adjudication_for(request.user, pk)
    except Refusal as refusal:
        return refused_page(request, "annotate/refused.html", refusal)
    return render(request, "adjudicate/page.html", {"adj": adj, "dataset": adj.dataset,
                                                     "progress": adjudication.progress(adj, request.user)})


def _endpoint(view):
    """POST only, CSRF answered in JSON, the adjudication from the URL (one the user adjudicates), a Refusal → 4xx."""
    @wraps(view)
    def wrapper(request, pk):
        if request.method != "POST":
            response = error("Use POST for this endpoint.", 405)
            response["Allow"] = "POST"
            return response
        rejected = _csrf.process_view(request, None, (), {})
        if rejected is not None:
            return rejected
        try:
            body = json.loads(body_of(request) or b"{}")
            if not isinstance(body, dict):
                raise ValueError
        except _TooLarge:
            return error("The request body is too large.", 413)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
            return error("The body must be a JSON object.", 400)
        try:
            adj = adjudication.adjudication_for(request.user, pk)
            return JsonResponse(view(request, adj, body))
        except Refusal as refusal:
            return refused_json(request, refusal)
    return csrf_exempt(login_required(wrapper))


@_endpoint
def next_view(request, adj, body):
    return adjudication.next_item(adj, request.user)


@_endpoint
def label_view(request, adj, body):
    return adjudication.record(adj, request.user, body.get("item"), body.get("label"), body.get("note", ""))


@_endpoint
def skip_view(request, adj, body):
    return adjudication.skip(adj, request.user, body.get("item"))
