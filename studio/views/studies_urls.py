"""/studies/: list, new, each study's page, its state JSON, its step actions and its results' downloads."""
from django.urls import path

from studio.views import studies

app_name = "studies"

urlpatterns = [
    path("", studies.study_list, name="list"),
    path("new/", studies.new, name="new"),
    path("<int:pk>/", studies.detail, name="detail"),
    path("<int:pk>/state.json", studies.state, name="state"),
    path("<int:pk>/figure.svg", studies.figure_svg, name="figure_svg"),
    path("<int:pk>/results.csv", studies.results_csv, name="results_csv"),
    path("<int:pk>/results.json", studies.results_json, name="results_json"),
    path("<int:pk>/<slug:action>/", studies.act, name="act"),
]
