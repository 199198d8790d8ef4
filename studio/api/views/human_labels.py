from django.db.models import Q
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from studio.models import Example, HumanLabel
from studio.services import access, annotation

from ..base import StudioAPIMixin
from ..filters import HumanLabelFilter
from ..pagination import ById
from ..schema import ERROR
from ..serializers.labels import HumanLabelSerializer


def visible_labels(user):
    """Admins: every label. Reviewers: every label on datasets they review. Annotators: their own labels."""
    if not (user and user.is_authenticated):
        return HumanLabel.objects.none()
    if access.is_admin(user):
        return HumanLabel.objects.all()
    return HumanLabel.objects.filter(
        Q(example__dataset__in=access.reviewable_datasets(user))
        | Q(annotator=user, example__dataset__in=access.annotatable_datasets(user))
    )


@extend_schema_view(
    list=extend_schema(summary="People's labels you may see (annotators: only your own)"),
    retrieve=extend_schema(summary="One label"),
    create=extend_schema(
        summary="Label an example handed to you (annotators)",
        responses={
            201: HumanLabelSerializer,
            200: OpenApiResponse(HumanLabelSerializer, description="The same label again: the stored one."),
            409: OpenApiResponse(ERROR, description="You already gave another label, skipped it, or it is full."),
        },
    ),
)
class HumanLabelViewSet(StudioAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        viewsets.GenericViewSet):
    serializer_class = HumanLabelSerializer
    filterset_class = HumanLabelFilter
    pagination_class = ById

    def get_queryset(self):
        return visible_labels(self.request.user).select_related("annotator", "example")

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if self.request.method == "POST":
            # Only examples of datasets the caller annotates can be named; any other id reads as unknown.
            serializer.fields["example"].queryset = Example.objects.filter(
                dataset__in=access.annotatable_datasets(self.request.user)
            ).select_related("dataset")
        return serializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        stored = annotation.submit_label(request.user, data["example"], data["label"], data.get("seconds_spent"))
        code = status.HTTP_201_CREATED if stored.created else status.HTTP_200_OK
        return Response(self.get_serializer(stored).data, status=code)
