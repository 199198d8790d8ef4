"""/adjudicate/: the adjudicator's adjudications, the blind page, and the JSON endpoints it calls."""
from django.urls import path

from studio.views import adjudicate

app_name = "adjudicate"

urlpatterns = [
    path("", adjudicate.index, name="index"),
    path("<int:pk>/", adjudicate.page, name="page"),
    path("<int:pk>/next/", adjudicate.next_view, name="next"),
    path("<int:pk>/label/", adjudicate.label_view, name="label"),
    path("<int:pk>/skip/", adjudicate.skip_view, name="skip"),
]
