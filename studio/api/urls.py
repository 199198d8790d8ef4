"""The REST API under /api/: routers for the resources, the OpenAPI schema and its Swagger UI."""
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from .base import StudioAPIMixin, not_found
from .views.adjudications import AdjudicationViewSet
from .views.datasets import DatasetViewSet
from .views.evaluations import EvaluationViewSet
from .views.examples import ExampleViewSet
from .views.human_labels import HumanLabelViewSet
from .views.imports import ImportJobViewSet
from .views.runs import ElicitedLabelViewSet, RunViewSet
from .views.studies import StudyViewSet

router = DefaultRouter()
router.register("datasets", DatasetViewSet, basename="dataset")
router.register("examples", ExampleViewSet, basename="example")
router.register("human-labels", HumanLabelViewSet, basename="humanlabel")
router.register("runs", RunViewSet, basename="run")
router.register("elicited-labels", ElicitedLabelViewSet, basename="elicitedlabel")
router.register("imports", ImportJobViewSet, basename="importjob")
router.register("studies", StudyViewSet, basename="study")
router.register("evaluations", EvaluationViewSet, basename="evaluation")
router.register("adjudications", AdjudicationViewSet, basename="adjudication")

AUTH = StudioAPIMixin.authentication_classes

app_name = "api"
urlpatterns = [
    # Public (the API's shape is no secret); a token sent along is checked like everywhere else.
    path("schema/", SpectacularAPIView.as_view(authentication_classes=AUTH), name="schema"),
    # The split view serves Swagger UI's start script as a file: the Content-Security-Policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema", authentication_classes=AUTH),
         name="docs"),
    path("", include(router.urls)),
    # Anything else under /api/ answers like the API does (JSON), not with the site's HTML 404 page.
    re_path(r"^.*$", not_found),
]
