"""/review/: reviewers' and admins' pages — dashboard, disagreements, example detail, run curves."""
from django.urls import path

from studio.views import adjudications, review

app_name = "review"

urlpatterns = [
    path("", review.index, name="index"),
    path("<slug:slug>/", review.dashboard, name="dashboard"),
    path("<slug:slug>/dashboard.json", review.dashboard_json, name="dashboard_json"),
    path("<slug:slug>/disagreements/", review.disagreements, name="disagreements"),
    path("<slug:slug>/examples/<int:pk>/", review.example, name="example"),
    path("<slug:slug>/runs/<int:run_id>/", review.run_curves, name="run_curves"),
    path("<slug:slug>/evaluations/", review.start_evaluation, name="start_evaluation"),
    path("<slug:slug>/evaluations/latest.json", review.evaluation_status, name="evaluation_status"),
    path("<slug:slug>/adjudications/", adjudications.open_view, name="open_adjudication"),
    path("<slug:slug>/adjudications/<int:pk>/estimate.json", adjudications.estimate_json, name="adjudication_estimate"),
    path("<slug:slug>/adjudications/<int:pk>/sample.csv", adjudications.sample, {"fmt": "csv"},
         name="adjudication_sample_csv"),
    path("<slug:slug>/adjudications/<int:pk>/sample.json", adjudications.sample, {"fmt": "json"},
         name="adjudication_sample_json"),
    path("<slug:slug>/evaluations/<int:pk>/trained-models.json", review.trained_models, name="trained_models"),
    path("<slug:slug>/evaluations/<int:pk>/results.csv", review.evaluation_csv, name="evaluation_csv"),
]
