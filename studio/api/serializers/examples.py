from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from studio.models import Example
from studio.services.export.styles import display_field_names


class ExampleSerializer(serializers.ModelSerializer):
    """An example as the caller may see it. Annotators get the fields their labeling page shows (the dataset's
    display fields, when it has any), no consistency key (on some datasets it was built from gold) and no gold.
    Reviewers and admins get every field and the key; admins also get the gold label."""

    fields = serializers.SerializerMethodField(method_name="shown_fields", help_text="The example's content (never gold).")
    key = serializers.SerializerMethodField(help_text="Consistency key; null unless you review the dataset.")
    prompt = serializers.SerializerMethodField(
        help_text="The prompt the model sees. Null for annotators when the dataset's display fields hide some of "
        "the example's fields (the prompt is built from all of them).")
    gold = serializers.SerializerMethodField(help_text="Gold label; admins only (null for others and where none).")

    class Meta:
        model = Example
        fields = ["id", "dataset", "external_id", "split", "position", "fields", "prompt", "group", "key", "gold"]
        read_only_fields = fields

    def _reviews(self, example) -> bool:
        return self.context.get("is_admin") or example.dataset_id in self.context.get("reviewable", ())

    @extend_schema_field({"type": "object", "additionalProperties": {}})
    def shown_fields(self, example) -> dict:
        data = example.fields if isinstance(example.fields, dict) else {}
        if self._reviews(example):
            return data
        shown = display_field_names(example.dataset)
        return {k: data[k] for k in shown if k in data} if shown else data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_prompt(self, example) -> str | None:
        if self._reviews(example):
            return example.prompt
        data = example.fields if isinstance(example.fields, dict) else {}
        shown = display_field_names(example.dataset)
        return None if shown and set(data) - set(shown) else example.prompt

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_key(self, example) -> str | None:
        return example.key if self._reviews(example) else None

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_gold(self, example) -> bool | None:
        if not self.context.get("is_admin"):
            return None
        gold = getattr(example, "gold", None)  # select_related("gold") in the view; absent = no gold
        return gold.label if gold is not None else None
