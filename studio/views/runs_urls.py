"""/runs/: run list, start page (admins), each run's live page, its progress JSON, results and cancel."""
from django.urls import path

from studio.views import runs

app_name = "runs"

urlpatterns = [
    path("", runs.run_list, name="list"),
    path("start/", runs.start, name="start"),
    path("<int:pk>/", runs.detail, name="detail"),
    path("<int:pk>/progress.json", runs.progress, name="progress"),
    path("<int:pk>/results/", runs.results, name="results"),
    path("<int:pk>/cancel/", runs.cancel, name="cancel"),
]
