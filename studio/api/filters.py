"""Query filters (django-filter) for the list endpoints. Related objects are filtered by plain id (not a
choice among every row in the table), so a filter never tells whether an id the caller may not see exists."""
import django_filters as df
from django import forms

from studio.models import ElicitationRun, ElicitedLabel, Example, HumanLabel, ImportJob
from studio.services.runs import results as run_results


class IdFilter(df.Filter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.Field):
    """true/false (also 1/0, yes/no); anything else is an error, not "no filter" (django-filter's default
    NullBooleanField reads ?label=maybe as unset and returns every row)."""

    WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        word = str(value).strip().lower()
        if word not in self.WORDS:
            raise forms.ValidationError(f"Expected true or false, got {str(value)[:40]!r}.")
        return self.WORDS[word]


class BooleanFilter(df.BooleanFilter):
    field_class = StrictBooleanField


class LabelKindField(forms.Field):
    """An elicited label's kind; anything else is an error naming the kinds (not django-filter's bare
    "Select a valid choice")."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        kinds = ElicitedLabel.Kind.values
        if value not in kinds:
            raise forms.ValidationError(f"Expected one of {', '.join(kinds)}; got {str(value)[:40]!r}.")
        return value


class LabelKindFilter(df.Filter):
    field_class = LabelKindField


class ExampleFilter(df.FilterSet):
    dataset = IdFilter(field_name="dataset_id", help_text="Dataset id.")

    class Meta:
        model = Example
        fields = ["dataset", "split", "group", "external_id"]


class HumanLabelFilter(df.FilterSet):
    dataset = IdFilter(field_name="example__dataset_id", help_text="Dataset id.")
    example = IdFilter(field_name="example_id", help_text="Example id.")
    split = df.CharFilter(field_name="example__split")
    annotator = df.CharFilter(field_name="annotator__username", help_text="Username of the annotator.")
    label = BooleanFilter(help_text="true or false.")

    class Meta:
        model = HumanLabel
        fields = ["dataset", "example", "split", "source", "label", "annotator"]


class RunFilter(df.FilterSet):
    dataset = IdFilter(field_name="dataset_id", help_text="Dataset id.")

    class Meta:
        model = ElicitationRun
        fields = ["dataset", "state", "split", "backend"]


class ElicitedLabelFilter(df.FilterSet):
    run = IdFilter(field_name="run_id", help_text="Run id.")
    dataset = IdFilter(field_name="run__dataset_id", help_text="Dataset id.")
    example = IdFilter(field_name="example_id", help_text="Example id.")
    split = df.CharFilter(field_name="example__split")
    min_confidence = df.NumberFilter(
        min_value=0, method="filter_min_confidence",
        help_text="Only labels whose confidence (the score in the label's direction: score for True, -score for "
        "False) is at least this. A label that disagrees with the sign of its score has a negative confidence, "
        "so it is never kept.",
    )
    label = BooleanFilter(help_text="true or false.")
    kind = LabelKindFilter(
        field_name="kind",
        help_text="elicited (labeled by the ICM search), filled (the model's prediction after the search, with the "
        "search's labels as demonstrations) or unlabeled (neither; label null).",
    )

    class Meta:
        model = ElicitedLabel
        fields = ["run", "dataset", "example", "split", "label", "kind", "min_confidence"]

    def filter_queryset(self, queryset):
        # every label served (list and detail both pass through here) carries its computed confidence
        return super().filter_queryset(run_results.with_confidence(queryset))

    def filter_min_confidence(self, queryset, name, value):
        return run_results.at_least_confident(queryset, value)


class ImportJobFilter(df.FilterSet):
    dataset = IdFilter(field_name="dataset_id", help_text="Dataset id.")

    class Meta:
        model = ImportJob
        fields = ["state", "fmt", "dataset"]
