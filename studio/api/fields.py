"""Serializer fields shared by the API's serializers."""
from rest_framework import serializers

MAX_ID = 2**63 - 1  # primary keys are bigint


class IdField(serializers.PrimaryKeyRelatedField):
    """A primary key given as a whole number 1..2**63-1 (or its digits). Anything else — 1e999, 1.5, 10**30,
    true — is a 400 naming the field, before the database is asked (where it could overflow: a 500)."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "not_an_id": "Expected an id: a whole number from 1 to 2**63-1, got {value}.",
    }

    def to_internal_value(self, data):
        value = data
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            shown = repr(data) if not isinstance(data, str) or len(data) <= 40 else repr(data[:40] + "…")
            self.fail("not_an_id", value=shown)
        return super().to_internal_value(value)
