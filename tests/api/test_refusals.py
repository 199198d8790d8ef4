"""The API's one exception handler (studio/api/errors.py): a service's Refusal answers its kind's status with
{"detail": message} and, when it names one, the field keyed with the message. Driven through a real DRF view
so the EXCEPTION_HANDLER setting is exercised too."""
import pytest
from django.contrib.auth.models import User
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from studio.services.annotation import AnnotationError
from studio.services.import_jobs import JobRefused
from studio.services.importing import ImportFailed
from studio.services.refusals import KINDS, Refusal
from studio.services.runs import RunRefused


class Raises(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        raise request.refusal


def answer(refusal, user=None):
    request = APIRequestFactory().get("/anything/")
    request.refusal = refusal  # the view reads it off the Django request DRF wraps
    if user is not None:
        force_authenticate(request, user=user)
    response = Raises.as_view()(request)
    response.render()
    return response


@pytest.mark.parametrize("kind,status", [
    ("invalid", 400), ("forbidden", 403), ("not_found", 404), ("conflict", 409), ("unavailable", 503),
])
def test_each_kind_answers_its_status(kind, status):
    response = answer(Refusal(f"refused as {kind}", kind=kind), user=User(username="someone"))
    assert response.status_code == status
    assert response.data == {"detail": f"refused as {kind}"}


def test_every_kind_has_a_status():
    from studio.views.refusals import STATUS
    assert set(STATUS) == set(KINDS)


def test_the_field_is_keyed_with_the_message():
    response = answer(JobRefused("a dataset name is required", "name"), user=User(username="someone"))
    assert response.status_code == 400
    assert response.data == {"detail": "a dataset name is required", "name": "a dataset name is required"}


def test_forbidden_to_an_anonymous_caller_is_401():
    response = answer(AnnotationError("Log in to annotate.", kind="forbidden"))
    assert response.status_code == 401 and response.data["detail"] == "Log in to annotate."


def test_service_errors_are_refusals_that_keep_their_extras():
    failed = ImportFailed("not a boolean", row=3, line=5, field="label")
    assert isinstance(failed, Refusal) and failed.kind == "invalid" and failed.field == "label"
    assert (failed.row, failed.line, failed.message) == (3, 5, "not a boolean")
    assert str(failed) == "row 3 (line 5), field 'label': not a boolean"
    refused = RunRefused("Run #4 has already completed; there is nothing to cancel.", kind="conflict")
    assert isinstance(refused, ValueError) and str(refused) == refused.message and refused.field is None
    assert answer(refused, user=User(username="someone")).status_code == 409


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="kind"):
        Refusal("no", kind="teapot")


def test_other_exceptions_still_go_to_drf():
    from rest_framework.exceptions import NotFound
    response = answer(NotFound("No such thing."), user=User(username="someone"))
    assert response.status_code == 404 and response.data == {"detail": "No such thing."}
