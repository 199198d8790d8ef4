import json
from pathlib import Path

from rest_framework import serializers

from studio.models import ImportJob

EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


class ImportJobSerializer(serializers.ModelSerializer):
    format = serializers.CharField(source="fmt", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)

    class Meta:
        model = ImportJob
        fields = ["id", "name", "format", "original_filename", "options", "state", "error", "error_row",
                  "error_field", "dataset", "example_count", "created_by", "created_at", "started_at", "finished_at"]
        read_only_fields = fields


class JSONObjectField(serializers.JSONField):
    """A JSON object, given as JSON text in a multipart form or as an object in a JSON body."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            text = data.strip()
            if not text:
                return {}
            if not text.startswith("{") and "=" in text:
                return text  # the importer's "name=column,..." form
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise serializers.ValidationError(f"Not valid JSON: {exc}.") from None
        if not isinstance(data, dict):
            raise serializers.ValidationError("Expected a JSON object.")
        return data


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The data file (JSON array, JSONL, CSV, or a Label Studio JSON export).")
    name = serializers.CharField(max_length=200, help_text="Name of the new dataset.")
    format = serializers.ChoiceField(
        choices=ImportJob.Format.choices, required=False,
        help_text="Default: from the file's extension (.json, .jsonl, .ndjson, .csv).",
    )
    mapping = JSONObjectField(
        required=False,
        help_text='Field mapping (not for labelstudio): {"id": col, "label": col (gold), "group": col, "key": col, '
        '"split": col, "human_label": col (crowd votes), <field name>: col, ...}, or "name=col,..." text.',
    )
    task_type = serializers.ChoiceField(choices=["claim", "comparison", "text"], required=False)
    consistency = serializers.ChoiceField(choices=["none", "keys", "comparison"], required=False)
    split = serializers.CharField(required=False, max_length=20, help_text="Split of every row (default train).")
    prompt_template = serializers.CharField(required=False, help_text="Python format string over the fields.")
    question = serializers.CharField(required=False, max_length=500)
    description = serializers.CharField(required=False)
    display_fields = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    true_word = serializers.CharField(required=False, max_length=50, trim_whitespace=False)
    false_word = serializers.CharField(required=False, max_length=50, trim_whitespace=False)
    true_choice = serializers.CharField(required=False, max_length=200,
                                        help_text="labelstudio: the choice that means True (default: True/Yes).")
    from_name = serializers.CharField(required=False, max_length=200,
                                      help_text="labelstudio: the choices control to read, if there are several.")

    def validate_file(self, upload):
        if upload.size == 0:
            raise serializers.ValidationError("The file is empty.")
        if upload.size > MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MiB.")
        return upload

    def validate(self, attrs):
        # A misspelt option (e.g. "maping") would otherwise be dropped without a word and the import run without it.
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({unknown[0]: f"Unknown option(s): {', '.join(unknown)} (allowed: "
                                                           f"{', '.join(sorted(self.fields))})."})
        if attrs.get("true_word", " True") == attrs.get("false_word", " False"):
            field = "false_word" if "false_word" in attrs else "true_word"
            raise serializers.ValidationError({field: "true_word and false_word must differ."})
        if "format" not in attrs:
            fmt = EXTENSIONS.get(Path(attrs["file"].name or "").suffix.lower())
            if fmt is None:
                raise serializers.ValidationError({"format": "Say which format the file is in "
                                                             "(json, jsonl, csv or labelstudio)."})
            attrs["format"] = fmt
        return attrs
