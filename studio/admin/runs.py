from django.contrib import admin, messages
from django.shortcuts import redirect
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from studio.models import Dataset, ElicitationRun, ElicitedLabel, Evaluation, RunEvent
from studio.services import policies, runs
from studio.services.refusals import Refusal
from studio.views.run_form import StartRunForm, submit

from .policy import PolicyAdmin


@admin.register(ElicitationRun)
class ElicitationRunAdmin(PolicyAdmin):
    policy = policies.runs
    list_display = ["id", "dataset", "state", "model", "backend", "iteration", "labeled_count", "example_count",
                    "energy", "created_by", "created_at", "live_page"]
    list_filter = ["state", "backend", "dataset", "uses_gold_derived_metadata"]
    search_fields = ["model", "dataset__name", "celery_task_id"]
    list_select_related = ["dataset", "created_by"]
    actions = ["cancel_runs"]
    change_list_template = "runs/admin_change_list.html"
    exclude = ["example_ids"]  # can be large

    # Runs are started through the form (which validates and queues them) and are a record afterwards.
    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude] + ["batches_line",
                                                                                          "live_page"]

    @admin.display(description="batches")
    def batches_line(self, obj):
        """One line per batch (its checkpoint holds the engine's score cache: summarized, not dumped)."""
        rows = [f"#{b.index}: {b.state}, iteration {b.iteration}, {b.labeled_count}/{b.example_count} labeled, "
                f"checkpoint at {(b.checkpoint or {}).get('iteration', 'none')}"
                for b in obj.batches.only("index", "state", "iteration", "labeled_count", "example_count",
                                          "checkpoint")]
        return format_html("<br>".join(["{}"] * len(rows)), *rows) if rows else "none"

    @admin.display(description="live page")
    def live_page(self, obj):
        return format_html('<a href="{}">open</a>', reverse("runs:detail", args=[obj.pk]))

    @admin.action(description="Cancel selected runs (they keep their labels so far)")
    def cancel_runs(self, request, queryset):
        done, refused = 0, []
        for run in queryset:
            try:
                runs.cancel_run(run, user=request.user)
                done += 1
            except Refusal as refusal:
                refused.append(str(refusal))
        if done:
            self.message_user(request, f"Cancel requested for {done} run(s).", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    def get_urls(self):
        start = path("start/", self.admin_site.admin_view(self.start_view), name="studio_elicitationrun_start")
        return [start, *super().get_urls()]

    def start_view(self, request):
        if not policies.runs.can_start(request.user):
            raise PermissionDenied
        form = StartRunForm(request.POST or None, initial={"dataset": request.GET.get("dataset")})
        if request.method == "POST":
            run = submit(request, form)
            if run is not None:
                return redirect("runs:detail", pk=run.pk)
        context = {**self.admin_site.each_context(request), "title": "Start an ICM run", "form": form,
                   "opts": self.model._meta}
        return TemplateResponse(request, "runs/admin_start.html", context)


@admin.action(description="Start an ICM run on the selected dataset")
def start_icm_run(modeladmin, request, queryset):
    if queryset.count() != 1:
        modeladmin.message_user(request, "Choose exactly one dataset to start a run on.", messages.WARNING)
        return None
    return redirect(reverse("admin:studio_elicitationrun_start") + f"?dataset={queryset.get().pk}")


# The dataset admin belongs to another module (studio/admin/datasets.py, imported before this one): add the
# start action to it from here rather than editing it.
_dataset_admin = type(admin.site._registry[Dataset])
_dataset_admin.actions = [*(_dataset_admin.actions or []), start_icm_run]


@admin.register(RunEvent)
class RunEventAdmin(PolicyAdmin):
    policy = policies.runs
    list_display = ["run", "iteration", "energy", "accepted_flips", "inconsistencies", "labeled_count", "accuracy"]
    list_filter = ["run"]


@admin.register(ElicitedLabel)
class ElicitedLabelAdmin(PolicyAdmin):
    policy = policies.runs
    list_display = ["run", "example", "label", "score"]
    list_filter = ["run", "label"]
    raw_id_fields = ["run", "example"]
    show_full_result_count = False


@admin.register(Evaluation)
class EvaluationAdmin(PolicyAdmin):
    policy = policies.evaluations
    list_display = ["id", "dataset", "state", "created_by", "created_at", "finished_at"]
    list_filter = ["state", "dataset"]

    # an evaluation's results are what the worker measured: shown, never edited or written by hand here
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
