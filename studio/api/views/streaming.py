"""Streamed file responses: the first bytes go out as soon as the first rows are read."""
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes


# Documented bodies of the streaming endpoints (schema only).
EXPORT_RESPONSES = {
    (200, "application/x-ndjson"): OpenApiTypes.STR,
    (200, "text/csv"): OpenApiTypes.STR,
}


def stream(chunks, content_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Accel-Buffering"] = "no"  # tell a proxy (nginx) to pass chunks on instead of buffering them
    return response


def query(serializer_class, request) -> dict:
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data
