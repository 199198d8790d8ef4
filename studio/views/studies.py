"""/studies/: the list, the "new study" form (admins), each study's page with its steps (polled as JSON), the
admin's buttons that start each step, and the results' downloads (SVG, CSV, JSON). Thin: the logic is in
studio.services.studies."""
import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from studio.models import Dataset, Study
from studio.services import access, policies, studies
from studio.services.refusals import Refusal
from studio.views.refusals import flashed, form_error


def _visible(request, pk: int) -> Study:
    # the id lists load only where an action uses them (the page and state.json count them: item_counts.sizes)
    study = get_object_or_404(Study.objects.select_related("dataset", "run", "evaluation", "adjudication", "created_by")
                              .defer(*Study.ID_LISTS), pk=pk)
    if not policies.studies.can_view(request.user, study):
        raise Http404("No such study.")
    return study


@login_required
@require_GET
def study_list(request):
    rows = Study.objects.filter(dataset__in=access.reviewable_datasets(request.user)).select_related(
        "dataset", "run", "evaluation")
    return render(request, "studies/list.html", {"studies": rows, "can_create": policies.studies.can_write(request.user)})


class NewStudyForm(forms.Form):
    """Blank numbers take the chosen design's values (the paper's, or the reduced one this deployment finishes)."""

    dataset = forms.ModelChoiceField(queryset=Dataset.objects.all())
    template = forms.ChoiceField(choices=[(t.key, t.title) for t in studies.TEMPLATES.values()])
    design = forms.ChoiceField(choices=list(studies.DESIGNS.items()), required=False,
                               label="Design (blank fields take its values)")
    name = forms.CharField(max_length=200)
    icm_pool_size = forms.IntegerField(required=False, label="ICM pool size",
                                       help_text="Train examples ICM labels (whole groups).")
    people_train_size = forms.IntegerField(required=False, label="People's train size",
                                           help_text="Of those, the examples people label too.")
    test_size = forms.IntegerField(required=False, label="Test size",
                                   help_text="Test examples (whole groups, with gold).")
    annotators_per_item = forms.IntegerField(required=False, label="Annotators per item (k)")
    icm_pool_seed = forms.IntegerField(required=False, label="ICM pool seed")
    test_seed = forms.IntegerField(required=False, label="Test seed")
    repeats = forms.IntegerField(required=False, label="Evaluation repeats")
    annotators = forms.CharField(required=False, help_text="Usernames, comma-separated; blank = anyone annotating "
                                 "the dataset.")
    model = forms.CharField(required=False, initial="smollm2")
    settings = forms.JSONField(required=False, initial=dict, label="ICM settings",
                               help_text="The ICM run's hyperparameters over the design's (which always name "
                               'the iterations), e.g. {"iterations": 200}.')

    def overrides(self) -> dict:
        data = dict(self.cleaned_data)
        for key in ("dataset", "template"):
            data.pop(key)
        data["annotators"] = [u.strip() for u in (data.get("annotators") or "").split(",") if u.strip()]
        return {k: v for k, v in data.items() if v not in (None, "")}


@login_required
def new(request):
    if not policies.studies.can_write(request.user):
        raise PermissionDenied("Only admins create studies.")
    if request.method == "POST":
        form = NewStudyForm(request.POST)
        if form.is_valid():
            try:
                study = studies.create_study(form.cleaned_data["dataset"], form.cleaned_data["template"],
                                             form.overrides(), user=request.user)
                return redirect("studies:detail", pk=study.pk)
            except studies.StudyRefused as refusal:
                for each in studies.errors_of(refusal):  # every bad value at once, each on its field
                    form_error(form, each)
            except Refusal as refusal:
                form_error(form, refusal)
    else:
        form = NewStudyForm(initial={"dataset": request.GET.get("dataset"), "template": request.GET.get("template")})
    designs, chosen = _designs(form)
    if designs and not form.is_bound:
        form.initial["design"] = studies.recommended(designs)
    return render(request, "studies/new.html", {"form": form, "templates": studies.TEMPLATES.values(),
                                                "designs": designs, "design_template": chosen})


def _designs(form) -> tuple[list, str | None]:
    """The chosen dataset's and template's designs with their estimates (none until both are known)."""
    source = form.data if form.is_bound else form.initial
    template = source.get("template")
    dataset = Dataset.objects.filter(pk=source.get("dataset")).first() if str(source.get("dataset") or "").isdigit() \
        else None
    spec = studies.TEMPLATES.get(template or "")
    if dataset is None or spec is None or (spec.preset is not None and spec.preset != dataset.preset):
        return [], None
    return studies.offered_designs(dataset, template), template


@login_required
@require_GET
def detail(request, pk: int):
    study = _visible(request, pk)
    steps = studies.study_steps(study)
    can_start = policies.studies.can_start(request.user, study)
    context = {"study": study, "steps": steps, "next": studies.steps.next_thing(steps), "can_start": can_start,
               "items": studies.stored_facts.items(study), "annotators": list(study.annotators.all()),
               "settings_json": json.dumps(study.settings or {}),
               "design_label": studies.DESIGNS.get(study.design, study.design)}
    if can_start:
        stored = studies.stored_facts.estimates(study, user=request.user)  # computed once, not per view
        context["estimates"] = {"icm": stored["icm"]["text"], "evaluation": stored["evaluation"]["text"],
                                "computed_at": parse_datetime(stored["computed_at"])}
        context["needs_confirm"] = [a for a, key in (("start_icm", "icm"), ("start_evaluation", "evaluation"))
                                    if studies.stored_facts.needs_confirmation(stored[key])]
    if steps[-1].state == "done":
        data = studies.study_results(study)
        context["results"] = data
        context["figure"] = mark_safe(studies.render_svg(data))  # built from escaped text (figure.py)
    return render(request, "studies/detail.html", context)


@login_required
@require_GET
def state(request, pk: int):
    return JsonResponse(studies.snapshot(_visible(request, pk)))


ACTIONS = {"open_labeling": studies.open_labeling, "close_labeling": studies.close_labeling,
           "start_icm": studies.start_icm, "start_evaluation": studies.start_study_evaluation,
           "open_adjudication": studies.open_study_adjudication}
CONFIRMED = ("start_icm", "start_evaluation")  # above STUDIO_CONFIRM_RUN_SECONDS they need the page's checkbox
DONE = {"open_labeling": "Labeling is open: annotators now get the study's items.",
        "close_labeling": "Labeling is closed.", "start_icm": "The ICM run is queued.",
        "start_evaluation": "The evaluation is queued.",
        "open_adjudication": "The adjudication is open: adjudicators find it under Adjudicate."}


@login_required
@require_POST
def act(request, pk: int, action: str):
    study = _visible(request, pk)
    if action not in ACTIONS:
        raise Http404("No such step action.")
    if not policies.studies.can_start(request.user, study):
        raise PermissionDenied("Only admins start a study's steps.")
    kwargs = {"confirmed": request.POST.get("confirm") == "yes"} if action in CONFIRMED else {}
    with flashed(request):
        if action == "open_adjudication":
            kwargs["budget"] = request.POST.get("budget", "").strip() or None
        if action == "start_icm" and request.POST.get("settings", "").strip():  # a re-run with other settings
            kwargs["settings"] = _settings_json(request.POST["settings"])
        ACTIONS[action](study, user=request.user, **kwargs)
        messages.success(request, DONE[action])
    return redirect("studies:detail", pk=study.pk)


def _settings_json(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise studies.StudyRefused(f"settings: not JSON ({exc})", "settings") from None
    if not isinstance(value, dict):
        raise studies.StudyRefused("settings: expected an object such as {\"iterations\": 20}", "settings")
    return value


def _results(request, pk: int) -> dict:
    study = _visible(request, pk)
    try:
        return studies.study_results(study)
    except Refusal as refusal:
        raise Http404(str(refusal)) from None


def _download(body, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def figure_svg(request, pk: int):
    data = _results(request, pk)
    response = HttpResponse(studies.render_svg(data), content_type="image/svg+xml")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="study-{pk}-figure.svg"'
    return response


@login_required
@require_GET
def results_csv(request, pk: int):
    return _download(studies.results_csv(_results(request, pk)), "text/csv; charset=utf-8", f"study-{pk}-results.csv")


@login_required
@require_GET
def results_json(request, pk: int):
    response = JsonResponse(_results(request, pk))
    response["Content-Disposition"] = f'attachment; filename="study-{pk}-results.json"'
    return response
