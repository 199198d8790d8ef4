from django.utils.text import slugify
from rest_framework import serializers

from studio.models import Dataset
from studio.services.importing import ImportFailed
from studio.services.importing.prompts import template_fields


class DatasetSerializer(serializers.ModelSerializer):
    example_count = serializers.IntegerField(read_only=True, help_text="Examples in the dataset, every split.")
    slug = serializers.SlugField(max_length=200, required=False, help_text="Defaults to the name, slugified.")
    # The words are scored as the prompt's next token: their leading space matters (' True' != 'True').
    true_word = serializers.CharField(required=False, max_length=50, trim_whitespace=False)
    false_word = serializers.CharField(required=False, max_length=50, trim_whitespace=False)

    class Meta:
        model = Dataset
        fields = [
            "id", "name", "slug", "preset", "task_type", "consistency", "description", "question", "guidelines",
            "prompt_template", "true_word", "false_word", "display_fields", "gold_derived_metadata", "source",
            "annotation_overlap", "annotation_split", "claim_ttl_seconds", "created_at", "example_count",
        ]
        read_only_fields = ["id", "preset", "gold_derived_metadata", "created_at", "example_count"]

    def validate_prompt_template(self, value: str) -> str:
        try:
            template_fields(value)  # the importer's rules: plain {field} placeholders, at least one
        except ImportFailed as exc:
            raise serializers.ValidationError(exc.message) from None
        return value

    def to_representation(self, instance):
        if not hasattr(instance, "example_count"):  # a row just created or updated, not from the list query
            instance.example_count = instance.examples.count()
        return super().to_representation(instance)

    def validate_display_fields(self, value):
        if not isinstance(value, list) or not all(
            isinstance(v, str) or (isinstance(v, dict) and isinstance(v.get("field"), str)) for v in value
        ):
            raise serializers.ValidationError('A list of field names or {"field": name, "label": title} objects.')
        return value

    def validate(self, attrs):
        if not attrs.get("slug") and attrs.get("name") and not (self.instance and self.instance.slug):
            attrs["slug"] = slugify(attrs["name"])[:200]
            if not attrs["slug"]:
                raise serializers.ValidationError({"slug": "The name gives no usable slug; give one."})
        true_word = attrs.get("true_word", getattr(self.instance, "true_word", " True"))
        false_word = attrs.get("false_word", getattr(self.instance, "false_word", " False"))
        if true_word == false_word:
            field = "false_word" if "false_word" in attrs else "true_word"
            raise serializers.ValidationError({field: f"true_word and false_word are both {true_word!r}; "
                                                      "they must differ."})
        slug = attrs.get("slug")
        if slug and Dataset.objects.filter(slug=slug).exclude(pk=getattr(self.instance, "pk", None)).exists():
            raise serializers.ValidationError({"slug": f"A dataset with slug '{slug}' already exists."})
        return attrs
