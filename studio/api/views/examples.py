from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from studio.models import Example
from studio.services import access

from ..base import StudioAPIMixin
from ..filters import ExampleFilter
from ..pagination import ById
from ..serializers.examples import ExampleSerializer


def example_context(request) -> dict:
    """What ExampleSerializer needs to know about the caller to decide which parts it may see."""
    user = request.user
    return {
        "request": request,
        "is_admin": access.is_admin(user),
        "reviewable": set(access.reviewable_datasets(user).values_list("pk", flat=True)),
    }


@extend_schema_view(
    list=extend_schema(summary="Examples of the datasets you work on"),
    retrieve=extend_schema(summary="One example"),
)
class ExampleViewSet(StudioAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ExampleSerializer
    filterset_class = ExampleFilter
    pagination_class = ById

    def get_queryset(self):
        qs = Example.objects.filter(dataset__in=access.visible_datasets(self.request.user)).select_related("dataset")
        if access.is_admin(self.request.user):
            qs = qs.select_related("gold")
        return qs

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **example_context(self.request)}
