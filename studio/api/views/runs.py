from django.db.models import Count
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from studio.models import ElicitationRun, ElicitedLabel
from studio.services import access, export, labelstudio, policies, runs

from ..base import AdminOnly, StudioAPIMixin
from ..filters import ElicitedLabelFilter, RunFilter
from ..negotiation import ExportFormatMixin
from ..pagination import ById, NewestFirst
from ..schema import ERROR
from ..serializers.exports import LabelStudioExportQuery, RunExportQuery
from ..serializers.labels import ElicitedLabelSerializer
from ..serializers.runs import RunEventSerializer, RunSerializer, RunStartSerializer
from .streaming import EXPORT_RESPONSES, query, stream


@extend_schema_view(
    list=extend_schema(summary="ICM runs on datasets you review"),
    retrieve=extend_schema(summary="One run, with its progress"),
)
class RunViewSet(StudioAPIMixin, ExportFormatMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                 viewsets.GenericViewSet):
    serializer_class = RunSerializer
    filterset_class = RunFilter
    pagination_class = NewestFirst
    export_actions = ("export", "export_labelstudio")
    policy = policies.runs

    def get_queryset(self):
        return (
            ElicitationRun.objects.filter(dataset__in=access.reviewable_datasets(self.request.user))
            .select_related("created_by", "dataset")
            .annotate(batch_count=Count("batches", distinct=True))
            .defer("example_ids")
        )

    def get_permissions(self):
        if self.action in ("create", "cancel"):
            return [IsAuthenticated(), AdminOnly()]
        return super().get_permissions()

    @extend_schema(
        summary="Start a run (admins)", request=RunStartSerializer,
        responses={201: RunSerializer, 409: OpenApiResponse(
            ERROR, description="The run's estimated duration is above the studio's limit: send confirm=true to "
            "start it anyway. The body carries `estimate` and `coverage_warning`.")})
    def create(self, request):
        params = RunStartSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        values = dict(params.validated_data)
        dataset = values.pop("dataset")
        confirmed = values.pop("confirm")
        # a RunRefused answers 400, an unconfirmed long run 409 with its estimate (api/errors.py)
        run = runs.start_run(dataset, user=request.user, confirmed=confirmed, **values)
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel a run (admins)",
        request=None,
        responses={200: RunSerializer, 409: OpenApiResponse(ERROR, description="The run has already finished.")},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        run = self.get_object()
        run = runs.cancel_run(run, user=request.user)  # a finished run is refused as a conflict: 409
        return Response(RunSerializer(run).data)

    @extend_schema(summary="A run's progress samples (iteration, energy, flips...)",
                   responses={200: RunEventSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=ById, filterset_class=None)
    def events(self, request, pk=None):
        run = self.get_object()
        page = self.paginate_queryset(run.events.order_by("id"))
        return self.get_paginated_response(RunEventSerializer(page, many=True).data)

    @extend_schema(summary="Export a run's elicited labels, streamed", parameters=[RunExportQuery],
                   responses=EXPORT_RESPONSES)
    @action(detail=True, methods=["get"], filterset_class=None)
    def export(self, request, pk=None):
        run = self.get_object()
        q = query(RunExportQuery, request)
        filters = export.ExportFilters(split=q["split"], min_confidence=q["min_confidence"],
                                       agreement=q["agreement"], filled=q["filled"])
        chunks = export.export_run(run, q["format"], q["style"], filters)
        name = export.filename(f"{run.dataset.slug}-run{run.pk}", q["style"], q["format"])
        return stream(chunks, export.CONTENT_TYPES[q["format"]], name)

    @extend_schema(
        summary="Export a run as Label Studio tasks, its labels as predictions, streamed",
        parameters=[LabelStudioExportQuery],
        responses={(200, "application/json"): {"type": "array", "items": {"type": "object"}}},
    )
    @action(detail=True, methods=["get"], url_path="export/labelstudio", filterset_class=None)
    def export_labelstudio(self, request, pk=None):
        run = self.get_object()
        q = query(LabelStudioExportQuery, request)
        chunks = labelstudio.export_run_tasks(run, split=q["split"], filled=q["filled"])
        return stream(chunks, "application/json", f"{run.dataset.slug}-run{run.pk}-labelstudio.json")


@extend_schema_view(
    list=extend_schema(summary="Elicited labels of runs on datasets you review"),
    retrieve=extend_schema(summary="One elicited label"),
)
class ElicitedLabelViewSet(StudioAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ElicitedLabelSerializer
    filterset_class = ElicitedLabelFilter
    pagination_class = ById

    def get_queryset(self):
        return ElicitedLabel.objects.filter(
            run__dataset__in=access.reviewable_datasets(self.request.user)
        ).select_related("example")
