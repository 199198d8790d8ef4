"""/annotate/: the annotator's datasets, the labeling page, and the JSON endpoints it calls."""
from django.urls import path

from studio.views import annotate

app_name = "annotate"

urlpatterns = [
    path("", annotate.index, name="index"),
    path("<slug:slug>/", annotate.page, name="page"),
    path("<slug:slug>/next/", annotate.next_view, name="next"),
    path("<slug:slug>/label/", annotate.label_view, name="label"),
    path("<slug:slug>/skip/", annotate.skip_view, name="skip"),
    path("<slug:slug>/undo/", annotate.undo_view, name="undo"),
]
