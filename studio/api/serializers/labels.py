from rest_framework import serializers

from studio.api.fields import IdField
from studio.models import ElicitedLabel, Example, HumanLabel
from studio.services.runs.results import confidence_of


class HumanLabelSerializer(serializers.ModelSerializer):
    example = IdField(
        queryset=Example.objects.none(),  # the view narrows it to examples the caller annotates
        help_text="The example labeled; it must have been handed to you (POST /api/datasets/{id}/next-example/).",
    )
    dataset = serializers.IntegerField(source="example.dataset_id", read_only=True)
    label = serializers.BooleanField(help_text="true or false: your answer to the dataset's question.")
    seconds_spent = serializers.FloatField(
        required=False, allow_null=True, min_value=0, help_text="Seconds from seeing the example to answering."
    )
    annotator = serializers.CharField(
        source="annotator.username", read_only=True, allow_null=True, help_text="Null for imported crowd votes."
    )

    class Meta:
        model = HumanLabel
        fields = ["id", "example", "dataset", "label", "seconds_spent", "source", "annotator", "crowd_voter",
                  "created_at"]
        read_only_fields = ["id", "dataset", "source", "annotator", "crowd_voter", "created_at"]


class ElicitedLabelSerializer(serializers.ModelSerializer):
    external_id = serializers.CharField(source="example.external_id", read_only=True)
    split = serializers.CharField(source="example.split", read_only=True)
    confidence = serializers.SerializerMethodField(
        help_text="The score in the label's direction: score for a True label, -score for a False one; negative "
        "when the label disagrees with the sign of its score (ICM chooses labels jointly, so it can keep a label "
        "against its own score when flipping it would cost more elsewhere). Null without a label or score.",
    )

    class Meta:
        model = ElicitedLabel
        fields = ["id", "run", "example", "external_id", "split", "label", "score", "confidence", "kind", "batch"]
        read_only_fields = fields
        extra_kwargs = {
            "score": {"help_text": "Centered log-odds of True under the run's final labels: the model's log-odds "
                      "given the batch's final labeled set, minus their mean over the labels the search chose "
                      "in that batch (whatever the run's calibrate setting)."},
            "kind": {"help_text": "elicited: labeled by the ICM search; filled: the model's prediction after the "
                     "search, with the search's labels as demonstrations; unlabeled: neither (label null)."},
            "batch": {"help_text": "Index of the run's batch that labeled the example."},
        }

    def get_confidence(self, obj) -> float | None:
        # the queryset's computed column when it has one (the API's filterset adds it), else the same definition
        if hasattr(obj, "confidence"):
            return obj.confidence
        return confidence_of(obj.label, obj.score)
