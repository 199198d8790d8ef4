from django.utils.functional import lazy
from rest_framework import serializers

from studio.api.fields import IdField
from studio.models import Dataset, ElicitationRun, RunEvent
from studio.services.engine_port import DEVICES
from studio.services.runs.preview import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE
from studio.services.runs.subsets import SAMPLE_RULE


def _hyperparameters_help() -> str:
    """The engine port's field list, for the schema: each hyperparameter's kind, default and allowed words."""
    from studio.services.engine_port import config_fields

    parts = []
    for f in config_fields():
        words = f" ({'/'.join(f.choices)})" if f.choices else ""
        parts.append(f"{f.name}: {f.kind}{words}, default {f.default!r}")
    return ("ICM hyperparameters (the engine's ICMConfig); the runs service parses them, naming a bad one. "
            + "; ".join(parts))


class RunSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    batch_count = serializers.SerializerMethodField(help_text="How many batches the run was cut into.")
    estimate = serializers.SerializerMethodField(
        help_text="The estimate made when the run started: {seconds, tokens, tokens_per_second, throughput_source "
        "('measured on N earlier batches ...' or 'default, no earlier runs ...'), measured_batches, batches, "
        "workers, limit_seconds, needs_confirmation, text}; null for runs started before estimates existed.")
    coverage_warning = serializers.SerializerMethodField(
        help_text="Set when the iterations are too few to visit every example of a batch once in expectation "
        "(names the number that would); null otherwise.")

    def get_batch_count(self, run) -> int:
        count = getattr(run, "batch_count", None)  # annotated by the API's queryset
        return run.batches.count() if count is None else count

    def get_estimate(self, run) -> dict | None:
        return (run.summary or {}).get("estimate")

    def get_coverage_warning(self, run) -> str | None:
        return ((run.summary or {}).get("coverage") or {}).get("warning")

    class Meta:
        model = ElicitationRun
        fields = [
            "id", "dataset", "split", "subset", "sample_size", "sample_seed", "subset_groups", "subset_note",
            "model", "backend", "device", "base_url", "config", "batch_size", "batch_count", "estimate",
            "coverage_warning", "uses_gold_derived_metadata", "state", "cancel_requested", "created_by",
            "created_at", "started_at", "finished_at", "attempts", "example_count", "iteration",
            "accepted_flips", "energy", "inconsistencies", "labeled_count", "tokens_used", "seconds_used",
            "error", "summary",
        ]
        read_only_fields = fields


class RunStartSerializer(serializers.Serializer):
    """What POST /api/runs/ takes; the runs service checks the values and says which one is wrong."""

    dataset = IdField(queryset=Dataset.objects.all())
    split = serializers.CharField(required=False, allow_blank=True, default="", max_length=20,
                                  help_text="Blank = every split.")
    subset = serializers.ChoiceField(choices=ElicitationRun.Subset.person_choices(), default=ElicitationRun.Subset.ALL)
    sample_size = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                           help_text=f"For subset=sample: how many examples. {SAMPLE_RULE} The run "
                                           "keeps this request as sample_size and the size taken as example_count.")
    sample_seed = serializers.IntegerField(required=False, allow_null=True, min_value=-(2**31), max_value=2**31 - 1)
    model = serializers.CharField(required=False, allow_blank=True, max_length=500,
                                  help_text="Blank = the studio's default model.")
    backend = serializers.ChoiceField(choices=ElicitationRun.Backend.choices, default=ElicitationRun.Backend.HF)
    device = serializers.ChoiceField(choices=list(DEVICES), default="auto")
    base_url = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    config = serializers.DictField(required=False, default=dict, help_text=lazy(_hyperparameters_help, str)())
    batch_size = serializers.IntegerField(required=False, allow_null=True, default=None,
                                          help_text=f"Examples per batch, 1 to {MAX_BATCH_SIZE} (default "
                                          f"{DEFAULT_BATCH_SIZE}); batches are whole consistency groups.")
    confirm = serializers.BooleanField(
        required=False, default=False,
        help_text="Start even if the estimated duration is above the studio's limit (STUDIO_CONFIRM_RUN_SECONDS). "
        "Without it such a run is refused with 409, its estimate and coverage warning in the body.")


class RunEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunEvent
        fields = ["id", "batch", "iteration", "energy", "accepted_flips", "inconsistencies", "labeled_count", "true_count",
                  "false_count", "accuracy", "tokens", "created_at"]
        read_only_fields = fields
