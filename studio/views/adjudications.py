"""The admin's and reviewers' side of adjudications, under /review/<slug>/adjudications/: open one (admins),
the live estimate as JSON (the dashboard polls it), and the sample as CSV or JSON with strata, weights and both
sources' labels (never gold). Logic lives in studio.services.adjudication; these only translate HTTP."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from studio.models import Adjudication, Dataset
from studio.services import access, adjudication, policies
from studio.services.export.writers import encode
from studio.services.refusals import Refusal

from .refusals import flashed, refused_page


def _reviewable(request, slug) -> Dataset:
    dataset = get_object_or_404(Dataset, slug=slug)
    if not access.can_review(request.user, dataset):
        raise Http404("No dataset you can review has that name.")  # same answer as a missing one
    return dataset


def _adjudication(request, slug, pk) -> Adjudication:
    dataset = _reviewable(request, slug)
    adj = get_object_or_404(Adjudication.objects.select_related("dataset", "created_by"), dataset=dataset, pk=pk)
    if not policies.adjudications.can_view(request.user, adj):
        raise Http404("No adjudication you can review has that number.")
    return adj


@login_required
@require_POST
def open_view(request, slug):
    dataset = _reviewable(request, slug)
    if not policies.adjudications.can_open(request.user, dataset):
        return refused_page(request, "review/refused.html", Refusal("Only admins open adjudications.",
                                                                    kind="forbidden"), {"dataset": dataset})
    options = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken" and v != ""}
    split = options.get("split", "")
    with flashed(request, "Adjudication not opened: "):
        adj = adjudication.open_adjudication(dataset, options, user=request.user)
        split = adj.split
        messages.success(request, f"Adjudication {adj.pk} opened: {adj.budget} items drawn ({adj.n_disagree} "
                                  f"disagreements among {adj.n_items} items). Adjudicators find it under Adjudicate.")
    url = redirect("review:dashboard", dataset.slug)
    if split:
        url["Location"] += f"?split={split}"
    return url


@login_required
@require_GET
def estimate_json(request, slug, pk):
    adj = _adjudication(request, slug, pk)
    return JsonResponse({**adjudication.describe(adj), "estimate": adjudication.result(adj)})


@login_required
@require_GET
def sample(request, slug, pk, fmt):
    adj = _adjudication(request, slug, pk)
    rows = adjudication.sample_rows(adj)
    name = f"adjudication-{adj.pk}-{adj.dataset.slug}-{adj.split}.{fmt}"
    if fmt == "json":
        response = JsonResponse({**adjudication.describe(adj), "items": rows})
    else:
        response = StreamingHttpResponse(encode(rows, adjudication.CSV_COLUMNS, "csv"), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
