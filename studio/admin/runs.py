from django.contrib import admin

from studio.models import ElicitationRun, ElicitedLabel, Evaluation, RunEvent


@admin.register(ElicitationRun)
class ElicitationRunAdmin(admin.ModelAdmin):
    list_display = ["id", "dataset", "state", "model", "backend", "iteration", "labeled_count", "example_count",
                    "energy", "created_by", "created_at"]
    list_filter = ["state", "backend", "dataset", "uses_gold_derived_metadata"]
    search_fields = ["model", "dataset__name", "celery_task_id"]
    readonly_fields = ["fingerprint", "celery_task_id", "started_at", "finished_at", "checkpoint", "summary"]
    list_select_related = ["dataset", "created_by"]


@admin.register(RunEvent)
class RunEventAdmin(admin.ModelAdmin):
    list_display = ["run", "iteration", "energy", "accepted_flips", "inconsistencies", "labeled_count", "accuracy"]
    list_filter = ["run"]


@admin.register(ElicitedLabel)
class ElicitedLabelAdmin(admin.ModelAdmin):
    list_display = ["run", "example", "label", "score"]
    list_filter = ["run", "label"]
    raw_id_fields = ["run", "example"]
    show_full_result_count = False


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ["id", "dataset", "state", "created_by", "created_at", "finished_at"]
    list_filter = ["state", "dataset"]
