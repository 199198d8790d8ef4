"""Review pages (reviewers and admins): the dashboard, the disagreement table, an example's labels, a
run's curves, and the admin's button that starts an evaluation. Logic lives in studio.services.review
and studio.services.evaluation; these only translate HTTP."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from studio.models import Dataset, ElicitationRun, Evaluation, Example
from studio.services import access, adjudication, evaluation, policies, review
from studio.services.refusals import Refusal
from studio.services.review.sources import expert_sources

from .refusals import flashed, refused_json, refused_page


def _reviewable(request, slug) -> Dataset:
    dataset = get_object_or_404(Dataset, slug=slug)
    if not access.can_review(request.user, dataset):
        raise Http404("No dataset you can review has that name.")  # same answer as a missing one
    return dataset


def _int_param(request, name, default):
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise review.ReviewError(f"{name} must be a whole number; got {raw!r}", name) from None


def _refused(request, dataset, refusal: Refusal):
    return refused_page(request, "review/refused.html", refusal, {"dataset": dataset})


@login_required
def index(request):
    return render(request, "review/index.html", {"datasets": access.reviewable_datasets(request.user)})


@login_required
def dashboard(request, slug):
    dataset = _reviewable(request, slug)
    try:
        data = review.dashboard(dataset, request.GET.get("split") or None,
                                min_labels=_int_param(request, "min_labels", None))
    except Refusal as refusal:
        return _refused(request, dataset, refusal)
    return render(request, "review/dashboard.html", {
        "dataset": dataset, "data": data, "is_admin": access.is_admin(request.user),
        "evaluation_defaults": evaluation.DEFAULTS, "evaluation_kinds": evaluation.KINDS,
        "adjudications": adjudication.dashboard_rows(dataset, data["split"]),
        "adjudication_defaults": adjudication.DEFAULTS,
    })


@login_required
def dashboard_json(request, slug):
    dataset = _reviewable(request, slug)
    try:
        data = review.dashboard(dataset, request.GET.get("split") or None,
                                min_labels=_int_param(request, "min_labels", None))
    except Refusal as refusal:
        return refused_json(request, refusal)
    return JsonResponse(data)


@login_required
def disagreements(request, slug):
    dataset = _reviewable(request, slug)
    split = request.GET.get("split") or review.default_split(dataset)
    try:
        sources = review.label_sources(dataset, split, min_labels=1) + expert_sources(dataset, split)
        a_key, b_key = review.default_pair(sources, request.GET.get("a"), request.GET.get("b"))
        page = review.disagreements(
            dataset, split, a_key, b_key,
            gold=request.GET.get("gold", "any"), sort=request.GET.get("sort") or None,
            direction=request.GET.get("dir", "desc"), after=request.GET.get("after") or None,
            limit=_int_param(request, "limit", review.PAGE_SIZE), score_run=_int_param(request, "score_run", None),
            with_total=request.GET.get("count") == "1",
        ) if a_key and b_key else None
    except Refusal as refusal:
        return _refused(request, dataset, refusal)
    query = request.GET.copy()
    query.pop("count", None)
    if page and page["next"]:
        query["after"] = page["next"]
    next_url = f"?{query.urlencode()}" if page and page["next"] else None
    first = request.GET.copy()
    first.pop("after", None)
    counted = request.GET.copy()
    counted["count"] = "1"
    return render(request, "review/disagreements.html", {
        "dataset": dataset, "split": split, "splits": review.dataset_splits(dataset), "sources": sources,
        "page": page, "next_url": next_url, "first_url": f"?{first.urlencode()}",
        "count_url": f"?{counted.urlencode()}",
        "is_first_page": not request.GET.get("after"),
        "gold_filters": review.GOLD_FILTERS, "sorts": review.SORTS,
    })


@login_required
def example(request, slug, pk):
    dataset = _reviewable(request, slug)
    ex = get_object_or_404(Example, dataset=dataset, pk=pk)
    return render(request, "review/example.html", {"dataset": dataset, "detail": review.example_detail(ex),
                                                   "back": request.GET.get("back", "")})


@login_required
def run_curves(request, slug, run_id):
    dataset = _reviewable(request, slug)
    run = get_object_or_404(ElicitationRun, dataset=dataset, pk=run_id)
    curves = review.run_curves(run)
    rows = zip(curves["iteration"], curves["energy"], curves["accuracy"], curves["accepted_flips"],
               curves["inconsistencies"], curves["labeled_count"])
    return render(request, "review/run_curves.html", {"dataset": dataset, "run": run, "curves": curves, "rows": rows})


@login_required
@require_POST
def start_evaluation(request, slug):
    dataset = _reviewable(request, slug)
    if not policies.evaluations.can_start(request.user, dataset):
        return _refused(request, dataset, Refusal("Only admins start evaluations.", kind="forbidden"))
    with flashed(request, "Evaluation not started: "):
        ev = evaluation.start_evaluation(dataset, user=request.user, options=request.POST)
        messages.success(request, f"Evaluation {ev.pk} queued on the gpu queue; this page shows it when it completes.")
    return redirect("review:dashboard", dataset.slug)


@login_required
def evaluation_status(request, slug):
    """The dataset's newest evaluation's state and progress (the page polls it and reloads when it finishes)."""
    dataset = _reviewable(request, slug)
    return JsonResponse({"evaluation": review.newest_evaluation_status(dataset)})


@login_required
def trained_models(request, slug, pk):
    """What an evaluation trained (probe weights with their feature rule and model fingerprint), as a download;
    ?condition=KEY for one trained condition."""
    dataset = _reviewable(request, slug)
    ev = get_object_or_404(Evaluation, dataset=dataset, pk=pk)
    try:
        body = evaluation.trained_models(ev, request.GET.get("condition") or None)
    except Refusal as refusal:
        return refused_json(request, refusal)
    response = JsonResponse(body, json_dumps_params={"indent": 1})
    response["Content-Disposition"] = f'attachment; filename="evaluation-{ev.pk}-trained-models.json"'
    return response


@login_required
def evaluation_csv(request, slug, pk):
    """An evaluation's conditions, in-context and trained, as CSV (each row says its measure)."""
    from django.http import HttpResponse

    from studio.services.evaluation.table import results_csv

    dataset = _reviewable(request, slug)
    ev = get_object_or_404(Evaluation, dataset=dataset, pk=pk, state=Evaluation.State.COMPLETED)
    response = HttpResponse(results_csv(ev.results or {}), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="evaluation-{ev.pk}-conditions.csv"'
    return response
