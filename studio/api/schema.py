"""The OpenAPI schema's error responses. drf-spectacular documents only the success response; every studio
endpoint can also answer 401/403 (not logged in / not allowed), 404 (an id, or a cursor, the caller may not
see) and 400 (bad parameters or body), each with a JSON body that says why."""
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

ERROR = inline_serializer("Error", {"detail": serializers.CharField(help_text="What went wrong.")})


class StudioAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        self.registry = registry
        responses = operation["responses"]
        params = operation.get("parameters", [])
        has_path_param = any(p.get("in") == "path" for p in params)
        has_query = any(p.get("in") == "query" for p in params)
        paginated = self.method == "GET" and self._is_list_view() and self._get_paginator() is not None
        if has_query or "requestBody" in operation:
            self._add(responses, "400", "Invalid parameters or body; the fields named say what is wrong.",
                      {"type": "object", "additionalProperties": {}})
        self._add(responses, "401", "Not logged in, or an invalid or revoked token.", None)
        self._add(responses, "403", "Logged in but not allowed (your role on the dataset does not permit it).", None)
        if has_path_param or paginated:
            self._add(responses, "404", "No such object among those you may see (or an invalid page cursor).", None)
        return operation

    def _add(self, responses, code, description, schema):
        if code in responses:
            return
        if schema is None:
            component = self.resolve_serializer(ERROR, "response")
            schema = component.ref
        responses[code] = {"description": description, "content": {"application/json": {"schema": schema}}}
