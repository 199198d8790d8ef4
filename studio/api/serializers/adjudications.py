"""The adjudications API's shapes: an Adjudication as it reads (the detail adds the live estimate), and the body
of POST /api/adjudications/ (the adjudication service checks the values and names the one that is wrong)."""
from rest_framework import serializers

from studio.models import Adjudication, Dataset
from studio.services import adjudication

from .evaluations import DatasetRefField


class AdjudicationOpenSerializer(serializers.Serializer):
    """What POST /api/adjudications/ takes; every option but the dataset is optional. A misspelt option is
    refused. Types are loose here on purpose: the service checks every value and names the one at fault."""

    dataset = DatasetRefField(queryset=Dataset.objects.all(), help_text="The dataset's id or slug.")
    split = serializers.CharField(required=False, max_length=20, help_text="Default: the review's default split.")
    source_a = serializers.CharField(required=False, max_length=50, help_text="A label source key (run:N, people, "
                                     "crowd, annotator:N); default the newest completed ICM run on the split.")
    source_b = serializers.CharField(required=False, max_length=50,
                                     help_text="Default: the people's majority (the imported crowd's without it).")
    budget = serializers.JSONField(required=False, help_text=f"Items to draw, 1 to {adjudication.MAX_BUDGET} "
                                   f"(default {adjudication.DEFAULTS['budget']}).")
    share_disagreements = serializers.JSONField(required=False, help_text="Share drawn from the disagreements, "
                                                "above 0 to 1 (default 0.8); the rest from the agreements.")
    target_half_width = serializers.JSONField(required=False, help_text="The ± width wanted on the difference, "
                                              "as a share (default 0.05 = ±5 points).")
    seed = serializers.JSONField(required=False, help_text="Seed of the draws (default 0).")

    def validate(self, attrs):
        data = getattr(self, "initial_data", None)
        unknown = sorted(set(data) - set(self.fields)) if hasattr(data, "keys") else []
        if unknown:
            raise serializers.ValidationError({unknown[0]: f"Unknown option(s): {', '.join(unknown)} (allowed: "
                                                           f"{', '.join(sorted(self.fields))})."})
        return attrs


class AdjudicationSerializer(serializers.ModelSerializer):
    dataset_slug = serializers.CharField(source="dataset.slug", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    adjudicated = serializers.IntegerField(read_only=True, help_text="Items the expert has answered so far.")

    class Meta:
        model = Adjudication
        fields = ["id", "dataset", "dataset_slug", "split", "source_a", "name_a", "source_b", "name_b", "budget",
                  "share_disagreements", "target_half_width", "seed", "n_items", "n_disagree", "adjudicated",
                  "created_by", "created_at"]
        read_only_fields = fields


class AdjudicationDetailSerializer(AdjudicationSerializer):
    estimate = serializers.SerializerMethodField(help_text=(
        "The live estimate: counts {n_items, n_disagree, n_agree, a_right, d_adjudicated, g_right, "
        "g_adjudicated}; difference {estimate, ci_low, ci_high, p, p_low, p_high} (acc(A) − acc(B), exact "
        "hypergeometric 95% interval); accuracy {a, b} each {estimate, ci_low, ci_high} (stratified, conservative "
        "95%); plan {half_width, more_disagreements, more_total} (about how many more reach ±half_width); "
        "adjudicated; verdict (marked 'from N expert adjudications, no gold'); gold {n, accuracy_a, accuracy_b, "
        "difference} where the split has gold, else null."))

    class Meta(AdjudicationSerializer.Meta):
        fields = AdjudicationSerializer.Meta.fields + ["estimate"]
        read_only_fields = fields

    def get_estimate(self, adj) -> dict:
        return adjudication.result(adj)
