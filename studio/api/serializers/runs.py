from django.utils.functional import lazy
from rest_framework import serializers

from studio.api.fields import IdField
from studio.models import Dataset, ElicitationRun, RunEvent
from studio.services.engine_port import DEVICES
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

    class Meta:
        model = ElicitationRun
        fields = [
            "id", "dataset", "split", "subset", "sample_size", "sample_seed", "subset_groups", "subset_note",
            "model", "backend", "device", "base_url", "config", "uses_gold_derived_metadata", "state", "cancel_requested", "created_by",
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
    subset = serializers.ChoiceField(choices=ElicitationRun.Subset.choices, default=ElicitationRun.Subset.ALL)
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


class RunEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunEvent
        fields = ["id", "batch", "iteration", "energy", "accepted_flips", "inconsistencies", "labeled_count", "true_count",
                  "false_count", "accuracy", "tokens", "created_at"]
        read_only_fields = fields
