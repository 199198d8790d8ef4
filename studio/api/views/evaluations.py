"""/api/evaluations/: the paper's comparison over the API — start one (admins), list and read them (the
dataset's reviewers and admins, like runs). Thin: studio.services.evaluation validates, records and queues."""
import django_filters as df
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from django.http import FileResponse
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from studio.models import Evaluation
from studio.services import access, evaluation, policies

from ..base import AdminOnly, StudioAPIMixin
from ..filters import IdFilter
from ..pagination import NewestFirst
from ..schema import ERROR
from ..serializers.evaluations import EvaluationDetailSerializer, EvaluationSerializer, EvaluationStartSerializer


class EvaluationFilter(df.FilterSet):
    dataset = IdFilter(field_name="dataset_id", help_text="Dataset id.")

    class Meta:
        model = Evaluation
        fields = ["dataset", "state"]


@extend_schema_view(
    list=extend_schema(summary="Evaluations of datasets you review (without their results: read one for them)"),
    retrieve=extend_schema(summary="One evaluation: its state, settings and, once completed, its results"),
)
class EvaluationViewSet(StudioAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = EvaluationSerializer
    filterset_class = EvaluationFilter
    pagination_class = NewestFirst
    policy = policies.evaluations

    def get_queryset(self):
        qs = Evaluation.objects.filter(dataset__in=access.reviewable_datasets(self.request.user))
        qs = qs.select_related("created_by", "dataset")
        return qs.defer("results") if self.action == "list" else qs

    def get_serializer_class(self):
        return EvaluationDetailSerializer if self.action == "retrieve" else EvaluationSerializer

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), AdminOnly()]
        return super().get_permissions()

    @extend_schema(
        summary="Start an evaluation (admins): queued for a worker, its row pending until one takes it",
        request=EvaluationStartSerializer,
        responses={
            201: EvaluationDetailSerializer,
            409: OpenApiResponse(ERROR, description="The dataset's state forbids it now (an evaluation of it is "
                                 "still pending or running)."),
            503: OpenApiResponse(ERROR, description="The task broker is unreachable: the evaluation was recorded "
                                 "as failed, with the reason."),
        })
    def create(self, request):
        params = EvaluationStartSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        options = dict(params.validated_data)
        dataset = options.pop("dataset")
        # an EvaluationRefused names what is wrong: 400 (or 409/503 by its kind, api/errors.py)
        ev = evaluation.start_evaluation(dataset, user=request.user, options=options)
        return Response(EvaluationDetailSerializer(ev).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="What the evaluation trained: per trained condition and repeat, the probe's weights, scaler, C, "
                "feature rule and model fingerprint (or the LoRA adapter's record)",
        parameters=[OpenApiParameter("condition", str, description="One trained condition's key, e.g. "
                                     "trained:gold (default: all).")],
        responses={200: OpenApiTypes.OBJECT,
                   404: OpenApiResponse(ERROR, description="No such evaluation, it trained nothing, or it has no "
                                        "such trained condition.")})
    @action(detail=True, methods=["get"], url_path="trained-models")
    def trained_models(self, request, pk=None):
        ev = self.get_object()
        return Response(evaluation.trained_models(ev, request.query_params.get("condition") or None))

    @extend_schema(
        summary="One finetune condition's LoRA adapter as a zip: the peft folder and icm-export.json (base model "
                "fingerprint, label words, prompt rule, how to use it as a model_conditions entry)",
        parameters=[OpenApiParameter("condition", str, required=True, description="The trained condition's key, "
                                     "e.g. trained:gold."),
                    OpenApiParameter("repeat", int, description="Which repeat's adapter (1-based; default 1).")],
        responses={(200, "application/zip"): OpenApiTypes.BINARY,
                   400: OpenApiResponse(ERROR, description="No condition given, a probe condition, or a repeat out "
                                        "of range (the field is named)."),
                   404: OpenApiResponse(ERROR, description="No such evaluation or condition, it trained nothing, or "
                                        "the adapter is no longer in the models directory.")})
    @action(detail=True, methods=["get"], url_path="trained-models/adapter")
    def adapter(self, request, pk=None):
        ev = self.get_object()
        name, archive = evaluation.adapter_archive(ev, request.query_params.get("condition") or None,
                                                   request.query_params.get("repeat"))
        return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")
