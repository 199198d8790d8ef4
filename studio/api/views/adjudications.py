"""/api/adjudications/: open one (admins), list and read them with their live estimate (the dataset's reviewers
and admins). Adjudicators answer on their blind page, not here. Thin: studio.services.adjudication does the work."""
import django_filters as df
from django.db.models import Count, Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from studio.models import Adjudication
from studio.services import access, adjudication, policies

from ..base import AdminOnly, StudioAPIMixin
from ..filters import IdFilter
from ..pagination import NewestFirst
from ..serializers.adjudications import (AdjudicationDetailSerializer, AdjudicationOpenSerializer,
                                         AdjudicationSerializer)


class AdjudicationFilter(df.FilterSet):
    dataset = IdFilter(field_name="dataset_id", help_text="Dataset id.")

    class Meta:
        model = Adjudication
        fields = ["dataset", "split"]


@extend_schema_view(
    list=extend_schema(summary="Adjudications of datasets you review (read one for its estimate)"),
    retrieve=extend_schema(summary="One adjudication with its live estimate: who is right, without gold"),
)
class AdjudicationViewSet(StudioAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AdjudicationSerializer
    filterset_class = AdjudicationFilter
    pagination_class = NewestFirst
    policy = policies.adjudications

    def get_queryset(self):
        return (Adjudication.objects.filter(dataset__in=access.reviewable_datasets(self.request.user))
                .select_related("dataset", "created_by")
                .annotate(adjudicated=Count("items", filter=Q(items__expert_label__isnull=False))))

    def get_serializer_class(self):
        return AdjudicationDetailSerializer if self.action == "retrieve" else AdjudicationSerializer

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), AdminOnly()]
        return super().get_permissions()

    @extend_schema(summary="Open an adjudication (admins): draw the seeded blind sample for two label sources",
                   request=AdjudicationOpenSerializer, responses={201: AdjudicationDetailSerializer})
    def create(self, request):
        params = AdjudicationOpenSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        options = dict(params.validated_data)
        dataset = options.pop("dataset")
        adj = adjudication.open_adjudication(dataset, options, user=request.user)  # a refusal names the option
        adj = self.get_queryset().get(pk=adj.pk)
        return Response(AdjudicationDetailSerializer(adj).data, status=status.HTTP_201_CREATED)
