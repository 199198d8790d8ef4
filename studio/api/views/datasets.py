from django.db.models import Count
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from studio.services import access, annotation, export, labelstudio, policies, review

from ..base import AdminWrites, StudioAPIMixin, require
from ..negotiation import ExportFormatMixin
from ..serializers.datasets import DatasetSerializer
from ..serializers.examples import ExampleSerializer
from ..serializers.exports import ExportQuery, ExpertExportQuery, HumanExportQuery
from .examples import example_context
from .streaming import EXPORT_RESPONSES, query, stream


@extend_schema_view(
    list=extend_schema(summary="Datasets you work on (admins: all)"),
    create=extend_schema(summary="Create an empty dataset (admins)"),
    update=extend_schema(summary="Change a dataset's settings (admins)"),
    partial_update=extend_schema(summary="Change some of a dataset's settings (admins)"),
    destroy=extend_schema(summary="Delete a dataset with its examples, labels and runs (admins)"),
)
class DatasetViewSet(StudioAPIMixin, ExportFormatMixin, viewsets.ModelViewSet):
    serializer_class = DatasetSerializer
    permission_classes = [IsAuthenticated, AdminWrites]
    policy = policies.datasets
    filterset_fields = ["task_type", "preset", "slug"]
    export_actions = ("export_human_labels", "export_expert_labels", "export_gold")

    def get_permissions(self):
        if self.action == "next_example":  # a POST, but annotators' (checked by the annotation service)
            return [IsAuthenticated()]
        return super().get_permissions()

    def get_queryset(self):
        return access.visible_datasets(self.request.user).annotate(example_count=Count("examples")).order_by("name")

    @extend_schema(
        summary="Review metrics (the dashboard's numbers)",
        parameters=[OpenApiParameter("split", str, description="Split to measure; default: test if present.")],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"])
    def metrics(self, request, pk=None):
        dataset = self.get_object()
        require(policies.datasets.can_review(request.user, dataset), "Only reviewers and admins see a dataset's metrics.")
        split = request.query_params.get("split") or None
        return Response(review.dashboard(dataset, split))

    @extend_schema(
        summary="Claim the next example to label (annotators)",
        request=None,
        responses={200: ExampleSerializer, 204: OpenApiResponse(description="Nothing left for you to label.")},
    )
    @action(detail=True, methods=["post"], url_path="next-example")
    def next_example(self, request, pk=None):
        dataset = self.get_object()
        annotation.require_annotator(request.user, dataset)
        example = annotation.next_example(request.user, dataset)
        if example is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(ExampleSerializer(example, context=example_context(request)).data)

    @extend_schema(
        summary="Export people's labels (reviewers and admins), streamed",
        parameters=[HumanExportQuery],
        responses=EXPORT_RESPONSES,
    )
    @action(detail=True, methods=["get"], url_path="export/human-labels")
    def export_human_labels(self, request, pk=None):
        dataset = self.get_object()
        require(policies.exports.can_export_labels(request.user, dataset), "Only reviewers and admins export people's labels.")
        q = query(HumanExportQuery, request)
        chunks = export.export_human_labels(
            dataset, q["format"], q["style"], mode=q["mode"], split=q["split"], annotator=q["annotator"])
        name = export.filename(f"{dataset.slug}-human-{q['mode']}", q["style"], q["format"])
        return stream(chunks, export.CONTENT_TYPES[q["format"]], name)

    @extend_schema(
        summary="Export expert labels: adjudications' answers, one row per answer (reviewers and admins), streamed",
        parameters=[ExpertExportQuery],
        responses=EXPORT_RESPONSES,
    )
    @action(detail=True, methods=["get"], url_path="export/expert-labels")
    def export_expert_labels(self, request, pk=None):
        dataset = self.get_object()
        require(policies.exports.can_export_labels(request.user, dataset),
                "Only reviewers and admins export expert labels.")
        q = query(ExpertExportQuery, request)
        chunks = export.export_expert_labels(dataset, q["format"], q["style"], split=q["split"],
                                             adjudication=q["adjudication"])
        name = export.filename(f"{dataset.slug}-expert", q["style"], q["format"])
        return stream(chunks, export.CONTENT_TYPES[q["format"]], name)

    @extend_schema(summary="Export gold labels (admins), streamed", parameters=[ExportQuery],
                   responses=EXPORT_RESPONSES)
    @action(detail=True, methods=["get"], url_path="export/gold")
    def export_gold(self, request, pk=None):
        dataset = self.get_object()
        require(policies.exports.can_export_gold(request.user, dataset), "Only admins export gold labels.")
        q = query(ExportQuery, request)
        chunks = export.export_gold(dataset, q["format"], q["style"], split=q["split"])
        name = export.filename(f"{dataset.slug}-gold", q["style"], q["format"])
        return stream(chunks, export.CONTENT_TYPES[q["format"]], name)

    @extend_schema(
        summary="Label Studio labeling config (XML) matching this dataset's task exports",
        responses={(200, "application/xml"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"], url_path="labelstudio-config")
    def labelstudio_config(self, request, pk=None):
        dataset = self.get_object()
        require(policies.exports.can_export_labels(request.user, dataset), "Only reviewers and admins export to Label Studio.")
        return HttpResponse(labelstudio.label_config(dataset), content_type="application/xml; charset=utf-8")
