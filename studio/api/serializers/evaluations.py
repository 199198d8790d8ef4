"""The evaluations API's shapes: an Evaluation as it reads, and the body of POST /api/evaluations/ (its options
are the evaluation service's; the service checks their values and names the one that is wrong)."""
from rest_framework import serializers

from studio.api.fields import MAX_ID, IdField
from studio.models import Dataset, Evaluation


class DatasetRefField(IdField):
    """A dataset named by its id (as the runs API takes it) or by its slug."""

    default_error_messages = {**IdField.default_error_messages,
                              "no_slug": "No dataset has the slug {value}."}

    def to_internal_value(self, data):
        if isinstance(data, str) and data.strip() and not data.strip().isdigit():
            slug = data.strip()
            dataset = self.get_queryset().filter(slug=slug[:200]).first()
            if dataset is None:
                self.fail("no_slug", value=repr(slug if len(slug) <= 40 else slug[:40] + "…"))
            return dataset
        return super().to_internal_value(data)


def _ids(help_text: str) -> serializers.ListField:
    # Bounded like every id the API takes, so a number past a bigint is a 400 here, never a database overflow.
    return serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False,
                                 max_length=100_000, help_text=help_text)


def _number(help_text: str, *, allow_null: bool = False) -> serializers.IntegerField:
    # Only the type is checked here; the service checks the range and says which values it takes.
    return serializers.IntegerField(required=False, allow_null=allow_null, min_value=-(2**63), max_value=MAX_ID,
                                    help_text=help_text)


class EvaluationStartSerializer(serializers.Serializer):
    """What POST /api/evaluations/ takes. Every option is optional: one left out takes the service's default.
    A misspelt option is refused (it would otherwise be dropped without a word)."""

    dataset = DatasetRefField(queryset=Dataset.objects.all(), help_text="The dataset's id or slug.")
    train_split = serializers.CharField(required=False, max_length=20,
                                        help_text="Where demonstrations come from (default train).")
    test_split = serializers.CharField(required=False, max_length=20,
                                       help_text="Where accuracy is measured, on examples with gold (default test).")
    test_ids = _ids("Example ids (in test_split, with gold) to test on instead of a seeded sample of max_test.")
    demo_pool_ids = _ids("Train example ids demonstrations are drawn from (default: the train examples every "
                         "included label source has labeled).")
    max_test = _number("How many test examples, sampled with the seed (default 200).")
    max_demos = _number("Cap on demonstrations per prompt; null = as many as fit the model's context.",
                        allow_null=True)
    repeats = _number("Demonstration draws, each scored by every condition (default 3).")
    seed = _number("Seed of the test sample and the demonstration draws (default 0).")
    calibrate = serializers.CharField(required=False, max_length=20,
                                      help_text="none or center (default: the included runs' calibration).")
    runs = _ids("ICM run ids to include (default: the eligible completed runs: all their examples in the train "
                "split, same model and calibration). A run of another model named here is included, marked.")
    conditions = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=20,
        help_text="Kinds to include among zero-shot, zero-shot-chat, random, people, crowd, icm, gold "
                  "(default: all that apply).")
    model_conditions = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, max_length=20,
        help_text="Other models (names or paths), each scored zero-shot on the same test items.")
    min_labels = _number("The people's majority counts only annotators with at least this many labels on the "
                         "dataset.", allow_null=True)
    measures = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=5,
        help_text="How each label source is judged: in-context (the model prompted with demonstrations carrying "
                  "its labels) and/or trained (a model trained on its labels of the train items; the results call "
                  "it a reward model on comparison datasets). Default [\"in-context\"].")
    trainer = serializers.CharField(required=False, max_length=40,
                                    help_text="The trained measure's trainer: probe (default; a logistic probe on "
                                              "the model's cached features) or finetune (LoRA, for GPU workers).")
    max_train = _number("Cap on the trained measure's train items per repeat (default: the pool with one repeat, "
                        "a seeded 80% of it per repeat with several).", allow_null=True)
    finetune_steps = _number("The finetune trainer's optimizer steps (default the engine's).", allow_null=True)
    adjudication = _number("Score the test items on this adjudication's expert answers (one on test_split, with "
                           "answers) instead of gold. Default: gold where test_split has it, else the newest answered "
                           "adjudication on it; the results then say 'scored on N expert-adjudicated items, no gold'.",
                           allow_null=True)

    def validate(self, attrs):
        data = getattr(self, "initial_data", None)
        unknown = sorted(set(data) - set(self.fields)) if hasattr(data, "keys") else []
        if unknown:
            raise serializers.ValidationError({unknown[0]: f"Unknown option(s): {', '.join(unknown)} (allowed: "
                                                           f"{', '.join(sorted(self.fields))})."})
        return attrs


class EvaluationSerializer(serializers.ModelSerializer):
    """An evaluation in a list: its state and settings; `results` are read one at a time."""

    dataset_slug = serializers.CharField(source="dataset.slug", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    verdict = serializers.SerializerMethodField(
        help_text="The results' plain sentence (who beat whom, by how much, with its interval), once completed; "
                  "null before, or for evaluations recorded without one.")

    def get_verdict(self, ev) -> str | None:
        return (ev.results or {}).get("verdict") or None

    class Meta:
        model = Evaluation
        fields = ["id", "dataset", "dataset_slug", "state", "error", "verdict", "config", "created_by",
                  "created_at", "started_at", "finished_at", "attempts"]
        read_only_fields = fields


class EvaluationDetailSerializer(EvaluationSerializer):
    results = serializers.JSONField(
        read_only=True,
        help_text="Once completed: test_ids and n_test, the repeats with their demonstration ids, each condition's "
                  "per-repeat accuracies with mean, sd and 95% interval, the paired comparisons, the verdict, the "
                  "gap recovered, the excluded runs with their reasons; with the trained measure each row's measure "
                  "(in-context or trained) and `trained` (trainer, train ids per repeat, feature counts); the "
                  "trained weights at trained-models/. Empty before.")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if isinstance(data.get("results"), dict) and "trained_models" in data["results"]:
            # the weights are read at /api/evaluations/{id}/trained-models/ (large; not every reader wants them)
            data["results"] = {k: v for k, v in data["results"].items() if k != "trained_models"}
        return data

    class Meta(EvaluationSerializer.Meta):
        fields = [*EvaluationSerializer.Meta.fields, "results"]
        read_only_fields = fields
