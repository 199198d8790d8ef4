"""Query parameters of the export endpoints (checked before anything is streamed)."""
import math

from rest_framework import serializers

from studio.services import export


def filled_option() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=export.FILLED, required=False, default="include",
        error_messages={"invalid_choice": "Expected include or exclude; got \"{input}\"."},
        help_text="include (default) or exclude the run's filled labels — the model's predictions after the ICM "
        "search (the run's fill option), not elicited by it. Every row says which it is in `kind` "
        "(elicited / filled), with the run's `batch`.",
    )


class ExportQuery(serializers.Serializer):
    format = serializers.ChoiceField(choices=export.FORMATS, default="jsonl", help_text="File format.")
    style = serializers.ChoiceField(
        choices=export.STYLES,
        default="labels",
        help_text="labels: id, split, the example's fields, label (+ columns of the source); "
        "sft: id/prompt/completion with the label word as completion; "
        "preference: id/prompt/chosen/rejected (comparison datasets).",
    )
    split = serializers.CharField(required=False, default="", allow_blank=True, max_length=20,
                                  help_text="Only this split (blank = all).")


class RunExportQuery(ExportQuery):
    min_confidence = serializers.FloatField(required=False, min_value=0, allow_null=True, default=None,
                                            help_text="Only labels whose confidence — the centered log-odds score in the "
                                            "label's direction (score for True, -score for False) — is at least "
                                            "this; a label that disagrees with the sign of its score is never kept.")
    agreement = serializers.ChoiceField(
        choices=["agree", "disagree"], required=False, default="", allow_blank=True,
        help_text="Only labels that agree / disagree with the people's majority (ties and unvoted left out).",
    )
    filled = filled_option()

    def validate_min_confidence(self, value):
        if value is not None and not math.isfinite(value):
            raise serializers.ValidationError("A finite number >= 0.")
        return value


class HumanExportQuery(ExportQuery):
    mode = serializers.ChoiceField(
        choices=export.HUMAN_MODES, default="majority",
        help_text="majority: one row per example with a strict majority of studio annotators' votes; "
        "crowd_majority: the same over imported crowd votes; annotator: one row per label.",
    )
    annotator = serializers.CharField(required=False, default="", allow_blank=True, max_length=150,
                                      help_text="mode=annotator only: one annotator's labels (username or crowd#N).")


class ExpertExportQuery(ExportQuery):
    adjudication = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                            max_value=2**63 - 1,
                                            help_text="Only this adjudication's answers (blank = every adjudication "
                                            "of the dataset).")


class LabelStudioExportQuery(serializers.Serializer):
    split = serializers.CharField(required=False, default="", allow_blank=True, max_length=20,
                                  help_text="Only this split (blank = all).")
    filled = filled_option()
