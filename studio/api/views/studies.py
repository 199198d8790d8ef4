"""/api/studies/: list, create (admins) and read studies; drive each one as its page does (admins): open and close
labeling, start the ICM run and the evaluation (confirm=true above STUDIO_CONFIRM_RUN_SECONDS, else 409 with the
estimate), read its steps; read its results as JSON, CSV and the figure's SVG with a token. Thin: the logic is in
studio.services.studies."""
import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from studio.models import Study
from studio.services import access, policies, studies

from ..base import AdminWrites, StudioAPIMixin
from ..pagination import NewestFirst
from ..schema import ERROR
from ..serializers.studies import (StudyAdjudicationSerializer, StudyCreateSerializer, StudyDesignsQuery,
                                   StudyIcmStartSerializer, StudyListSerializer, StudySerializer, StudyStartSerializer)


class _FileRenderer(BaseRenderer):
    """Lets a client ask for the file's type; an error body (a dict) is written as JSON."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, (bytes, str)):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:  # an error body: say it is JSON, whatever file type was asked for
            response["Content-Type"] = "application/json"
        return json.dumps(data).encode()


class SvgRenderer(_FileRenderer):
    media_type, format = "image/svg+xml", "svg"


class CsvRenderer(_FileRenderer):
    media_type, format = "text/csv", "csv"


STEP_CONFLICT = OpenApiResponse(ERROR, description="The step cannot be taken now (the message says what it waits "
                                "for), or its estimate is above the studio's limit and confirm was not true (the "
                                "body carries `estimate`).")


def _download(body, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@extend_schema_view(
    list=extend_schema(summary="Studies on datasets you review (without their item id lists)"),
    retrieve=extend_schema(summary="One study, with its items"),
)
class StudyViewSet(StudioAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    serializer_class = StudySerializer
    pagination_class = NewestFirst
    policy = policies.studies
    permission_classes = StudioAPIMixin.permission_classes + [AdminWrites]

    def get_serializer_class(self):
        return StudyListSerializer if self.action == "list" else StudySerializer

    def get_queryset(self):
        return (Study.objects.filter(dataset__in=access.reviewable_datasets(self.request.user))
                .select_related("created_by", "dataset", "run", "evaluation").prefetch_related("annotators"))

    @extend_schema(summary="Create a study from a template (admins)", request=StudyCreateSerializer,
                   responses={201: StudySerializer, 400: OpenApiResponse(
                       OpenApiTypes.OBJECT, description="Every bad value at once, each under its field's name.")})
    def create(self, request):
        params = StudyCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        values = dict(params.validated_data)
        dataset, template = values.pop("dataset"), values.pop("template")
        study = studies.create_study(dataset, template, values, user=request.user)  # a StudyRefused answers 400/409
        return Response(StudySerializer(study).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="A template's designs on a dataset, each with its estimate on this deployment",
                   parameters=[StudyDesignsQuery], responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    def designs(self, request):
        params = StudyDesignsQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        dataset, template = params.validated_data["dataset"], params.validated_data["template"]
        if not access.reviewable_datasets(request.user).filter(pk=dataset.pk).exists():
            return Response({"dataset": f"no dataset {dataset.pk} among those you review"}, status=400)
        preset = studies.TEMPLATES[template].preset
        if preset is not None and preset != dataset.preset:
            return Response({"template": f"{template!r} is for the {preset!r} preset's dataset"}, status=400)
        designs = studies.offered_designs(dataset, template)
        return Response({"offered": studies.recommended(designs), "designs": [d.to_dict() for d in designs]})

    def _act(self, request, step, **kwargs):
        study = self.get_object()
        step(study, user=request.user, **kwargs)  # a StudyRefused answers 403/409 with its message
        study.refresh_from_db()
        return Response(StudySerializer(study).data)

    @extend_schema(summary="Open labeling: the annotation queue serves the study's items (admins)", request=None,
                   responses={200: StudySerializer, 409: STEP_CONFLICT})
    @action(detail=True, methods=["post"], url_path="open-labeling")
    def open_labeling(self, request, pk=None):
        return self._act(request, studies.open_labeling)

    @extend_schema(summary="Close labeling: the people's step counts as done with what they labeled (admins)",
                   request=None, responses={200: StudySerializer, 409: STEP_CONFLICT})
    @action(detail=True, methods=["post"], url_path="close-labeling")
    def close_labeling(self, request, pk=None):
        return self._act(request, studies.close_labeling)

    @extend_schema(summary="Start (or, after a canceled or failed run, re-run) the ICM run over the study's train "
                   "pool (admins)", request=StudyIcmStartSerializer,
                   responses={200: StudySerializer, 409: STEP_CONFLICT})
    @action(detail=True, methods=["post"], url_path="start-icm")
    def start_icm(self, request, pk=None):
        params = StudyIcmStartSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        return self._act(request, studies.start_icm, confirmed=params.validated_data["confirm"],
                         settings=params.validated_data.get("settings"))

    @extend_schema(summary="Start the study's evaluation (admins)", request=StudyStartSerializer,
                   responses={200: StudySerializer, 409: STEP_CONFLICT})
    @action(detail=True, methods=["post"], url_path="start-evaluation")
    def start_evaluation(self, request, pk=None):
        params = StudyStartSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        return self._act(request, studies.start_study_evaluation, confirmed=params.validated_data["confirm"])

    @extend_schema(summary="Custom studies: open the blind adjudication of where the ICM run and the people's "
                   "majority disagree, with a budget (admins); its estimate shows in the steps",
                   request=StudyAdjudicationSerializer, responses={200: StudySerializer, 409: STEP_CONFLICT})
    @action(detail=True, methods=["post"], url_path="open-adjudication")
    def open_adjudication(self, request, pk=None):
        params = StudyAdjudicationSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        return self._act(request, studies.open_study_adjudication, budget=params.validated_data.get("budget"))

    @extend_schema(summary="The study's steps: each one's state, what it waits for, the next thing to do",
                   responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def steps(self, request, pk=None):
        return Response(studies.snapshot(self.get_object()))

    @extend_schema(summary="The study's results: the figure's rows (n with its unit), the verdict and the design",
                   responses={200: OpenApiTypes.OBJECT, 409: OpenApiResponse(
                       ERROR, description="The study's evaluation has not completed.")})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        return Response(studies.study_results(self.get_object()))

    @extend_schema(summary="The study's results as CSV (one row per figure row, then the design)",
                   responses={(200, "text/csv"): OpenApiTypes.STR, 409: OpenApiResponse(ERROR)})
    @action(detail=True, methods=["get"], url_path="results-csv", renderer_classes=[JSONRenderer, CsvRenderer])
    def results_csv(self, request, pk=None):
        data = studies.study_results(self.get_object())
        return _download(studies.results_csv(data), "text/csv; charset=utf-8", f"study-{pk}-results.csv")

    @extend_schema(summary="The study's figure (SVG)",
                   responses={(200, "image/svg+xml"): OpenApiTypes.STR, 409: OpenApiResponse(ERROR)})
    @action(detail=True, methods=["get"], url_path="figure", renderer_classes=[JSONRenderer, SvgRenderer])
    def figure(self, request, pk=None):
        data = studies.study_results(self.get_object())
        return _download(studies.render_svg(data), "image/svg+xml", f"study-{pk}-figure.svg")
