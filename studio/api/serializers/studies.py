from rest_framework import serializers

from studio.api.fields import IdField
from studio.models import Dataset, Study
from studio.services.studies import DESIGNS, TEMPLATES


class StudySerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    dataset = serializers.PrimaryKeyRelatedField(read_only=True)
    annotators = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)

    class Meta:
        model = Study
        fields = ["id", "name", "dataset", "template", "design", "train_split", "test_split", "human_condition",
                  "icm_pool_size", "icm_pool_seed", "icm_pool_ids", "people_train_size", "people_train_ids",
                  "test_size", "test_seed", "test_ids", "annotators_per_item", "annotators", "model", "settings",
                  "repeats", "labeling_open", "run", "evaluation", "adjudication", "created_by", "created_at"]
        read_only_fields = fields


class StudyCreateSerializer(serializers.Serializer):
    """Blank values take the template's; the studies service checks every value and names a bad one."""

    dataset = IdField(queryset=Dataset.objects.all())
    template = serializers.ChoiceField(choices=list(TEMPLATES))
    name = serializers.CharField(required=False, allow_blank=True, help_text="Required; the service names it "
                                 "with the other refusals when it is missing.")
    icm_pool_size = serializers.IntegerField(required=False)
    icm_pool_seed = serializers.IntegerField(required=False)
    people_train_size = serializers.IntegerField(required=False)
    test_size = serializers.IntegerField(required=False)
    test_seed = serializers.IntegerField(required=False)
    annotators_per_item = serializers.IntegerField(required=False)
    annotators = serializers.ListField(child=serializers.CharField(), required=False,
                                       help_text="Usernames (or user ids); none = anyone annotating the dataset.")
    model = serializers.CharField(required=False)
    settings = serializers.DictField(required=False, help_text="The ICM run's hyperparameters.")
    repeats = serializers.IntegerField(required=False)
    train_split = serializers.CharField(required=False)
    test_split = serializers.CharField(required=False)
    design = serializers.ChoiceField(choices=list(DESIGNS), required=False,
                                     help_text="Whose values blank fields take: the paper's, or the reduced design "
                                     "the bundled model on a CPU finishes (GET /api/studies/designs/ estimates both).")

    def validate(self, attrs):
        data = getattr(self, "initial_data", None)
        unknown = sorted(set(data) - set(self.fields)) if hasattr(data, "keys") else []
        if unknown:  # a misspelt option ("anotators") would otherwise be dropped and its default used
            raise serializers.ValidationError({unknown[0]: f"Unknown option(s): {', '.join(unknown)} (allowed: "
                                                           f"{', '.join(sorted(self.fields))})."})
        return attrs


class StudyStartSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(default=False, help_text="Start it even when its estimate is above "
                                       "STUDIO_CONFIRM_RUN_SECONDS (otherwise 409 with the estimate).")


class StudyAdjudicationSerializer(serializers.Serializer):
    budget = serializers.IntegerField(required=False, allow_null=True, min_value=-(2**63), max_value=2**63 - 1,
                                      help_text="Items the expert answers (default 40); the service checks the "
                                      "range and names budget when it is out of it.")


class StudyDesignsQuery(serializers.Serializer):
    dataset = IdField(queryset=Dataset.objects.all())
    template = serializers.ChoiceField(choices=list(TEMPLATES))


class StudyIcmStartSerializer(StudyStartSerializer):
    settings = serializers.DictField(required=False, help_text="ICM hyperparameters over the study's, kept (a re-run "
                                     "after a canceled or failed run with other settings).")


ID_LISTS = Study.ID_LISTS


class StudyListSerializer(StudySerializer):
    """A study in a list: its item id lists (up to the study's size each) only in the study itself."""

    class Meta(StudySerializer.Meta):
        fields = [f for f in StudySerializer.Meta.fields if f not in ID_LISTS]
        read_only_fields = fields
