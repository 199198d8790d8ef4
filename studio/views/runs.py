"""/runs/: the list of runs, the admin's "start a run" page, each run's live page and the small JSON it polls,
and cancel. Thin: the logic is in studio.services.runs."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from studio.models import ElicitationRun
from studio.services import access, policies, runs
from studio.services.runs import pages
from studio.views.refusals import flashed
from studio.views.run_form import StartRunForm, confirm_limit, submit


def _visible_run(request, pk: int) -> ElicitationRun:
    """Admins and the dataset's reviewers see a run (its labels and its accuracy against gold); others get 404."""
    run = ElicitationRun.objects.select_related("dataset", "created_by").filter(pk=pk).first()
    if run is None or not policies.runs.can_view(request.user, run):
        raise Http404("No such run.")  # the same answer for a run that exists but is not yours to see
    return run


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied("Only admins start and cancel runs.")


NO_ACCESS = ("You have no access to ICM runs: they are shown to studio admins and to the reviewers of a dataset. "
             "Ask an admin to make you a reviewer if you need to see them.")


@login_required
@require_GET
def run_list(request):
    # Someone who may see no run at all is told so, not shown "No runs yet." while runs exist.
    if not (access.is_admin(request.user) or access.reviewable_datasets(request.user).exists()):
        raise PermissionDenied(NO_ACCESS)
    dataset_id = request.GET.get("dataset") or None
    return render(request, "runs/list.html", pages.run_list(request.user, dataset_id))


@login_required
def start(request):
    _require(policies.runs.can_start(request.user))
    if request.method == "POST":
        form = StartRunForm(request.POST)
        run = submit(request, form)
        if run is not None:
            return redirect("runs:detail", pk=run.pk)
    else:
        form = StartRunForm(initial={"dataset": request.GET.get("dataset")})
    return render(request, "runs/start.html", {"form": form, "confirm_limit": confirm_limit()})


@login_required
@require_GET
def detail(request, pk: int):
    run = _visible_run(request, pk)
    return render(request, "runs/detail.html", pages.run_page(run, request.user))


AFTER_ERROR = "after: expected the id of the last event seen (a whole number, 0 or more)"


@login_required
@require_GET
def progress(request, pk: int):
    """The live page's poll: the run, its batches and ETAs, and the events after event id `after`."""
    run = _visible_run(request, pk)
    raw = request.GET.get("after")
    after = None
    if raw not in (None, ""):
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and int(raw) < 2**63):  # event ids are positive bigints
            return JsonResponse({"error": AFTER_ERROR}, status=400)
        after = int(raw)
    return JsonResponse(runs.live_snapshot(run, after=after))


@login_required
@require_GET
def results(request, pk: int):
    run = _visible_run(request, pk)
    return render(request, "runs/_results.html", pages.results_context(run))


@login_required
@require_POST
def cancel(request, pk: int):
    run = _visible_run(request, pk)
    _require(policies.runs.can_cancel(request.user, run))
    with flashed(request):
        runs.cancel_run(run, user=request.user)
        messages.success(request, f"Run #{run.pk}: cancel requested; it stops after the scoring call in "
                                  "progress (seconds) and keeps the labels of its last whole iteration.")
    return redirect("runs:detail", pk=run.pk)
