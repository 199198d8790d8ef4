from django.shortcuts import render

from studio.services import access
from studio.services.overview import dataset_overview


def home(request):
    datasets = access.visible_datasets(request.user)
    return render(request, "studio/home.html", {"rows": dataset_overview(request.user, datasets)})
