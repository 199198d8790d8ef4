from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from studio.models import ImportJob
from studio.services import import_jobs, policies

from ..base import AdminOnly, StudioAPIMixin
from ..filters import ImportJobFilter
from ..pagination import NewestFirst
from ..serializers.imports import ImportJobSerializer, ImportUploadSerializer


@extend_schema_view(
    list=extend_schema(summary="Import jobs (admins)"),
    retrieve=extend_schema(summary="An import job's status (admins)"),
)
class ImportJobViewSet(StudioAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ImportJobSerializer
    permission_classes = [IsAuthenticated, AdminOnly]
    policy = policies.imports
    filterset_class = ImportJobFilter
    pagination_class = NewestFirst
    parser_classes = [MultiPartParser, FormParser]
    queryset = ImportJob.objects.select_related("created_by")

    @extend_schema(
        summary="Upload a file to import as a new dataset, in the background (admins)",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: ImportJobSerializer},
    )
    def create(self, request):
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        values = dict(upload.validated_data)
        file, name, fmt = values.pop("file"), values.pop("name"), values.pop("format")
        job = import_jobs.create_job(request.user, file, name=name, fmt=fmt, options=values)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
