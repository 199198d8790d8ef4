from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from studio.models import Study
from studio.services import access, policies, studies

from ..base import AdminWrites, StudioAPIMixin
from ..pagination import NewestFirst
from ..serializers.studies import StudyCreateSerializer, StudyListSerializer, StudySerializer


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
                .select_related("created_by", "dataset").prefetch_related("annotators"))

    @extend_schema(summary="Create a study from a template (admins)", request=StudyCreateSerializer,
                   responses={201: StudySerializer})
    def create(self, request):
        params = StudyCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        values = dict(params.validated_data)
        dataset, template = values.pop("dataset"), values.pop("template")
        study = studies.create_study(dataset, template, values, user=request.user)  # a StudyRefused answers 400/409
        return Response(StudySerializer(study).data, status=status.HTTP_201_CREATED)
