"""The annotator's pages and the JSON endpoints the labeling page calls. Logic lives in
studio.services.annotation; these only translate HTTP."""
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from studio.services import access, annotation
from studio.services.refusals import Refusal
from studio.services.studies.queue_scope import open_study

from .annotate_json import body_of, json_endpoint
from .refusals import refused_page


@login_required
def index(request):
    rows = [(ds, annotation.progress(request.user, ds)) for ds in access.annotatable_datasets(request.user)]
    return render(request, "annotate/index.html", {"rows": rows})


@login_required
@ensure_csrf_cookie
def page(request, slug):
    try:
        dataset = annotation.annotator_dataset(request.user, slug)
    except Refusal as refusal:
        return refused_page(request, "annotate/refused.html", refusal)
    return render(
        request,
        "annotate/label.html",
        {
            "dataset": dataset,
            "guidelines": annotation.render_guidelines(dataset.guidelines) if dataset.guidelines.strip() else "",
            "progress": annotation.progress(request.user, dataset),
            "study": open_study(dataset),  # labeling for a study: its end says the person's share is done
        },
    )


@json_endpoint("POST")  # it reserves an example (a claim): a GET, even a prefetch, must not
def next_view(request, dataset):
    return annotation.next_body(request.user, dataset)


@json_endpoint("POST")
def label_view(request, dataset):
    body = annotation.label_body(request.user, dataset, body_of(request), request.session)
    return JsonResponse(body, status=201 if body["saved"]["created"] else 200)


@json_endpoint("POST")
def skip_view(request, dataset):
    return annotation.skip_body(request.user, dataset, body_of(request))


@json_endpoint("POST")
def undo_view(request, dataset):
    return annotation.undo_body(request.user, dataset, request.session)
