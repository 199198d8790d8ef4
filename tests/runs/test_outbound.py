"""Issue 16 #7: where a run may send the worker's API key and what it may load. Hostile addresses appear
here only as input that is refused before any connection; the only servers are on loopback, started here."""
import http.server
import threading

import pytest

from elicitation.backends.openai_compat import OpenAIBackend
from elicitation.errors import BackendError
from studio.models import ElicitationRun
from studio.services import engine_port, runs

from tests.support.workers import FAST_CONFIG

pytestmark = pytest.mark.django_db

HOSTILE = ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:6379/",
           "http://user:secret@10.0.0.5:8000/v1"]


class Recorder(http.server.BaseHTTPRequestHandler):
    """A loopback server that records every request (and its Authorization header) and answers as told."""

    def do_GET(self):
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        status, headers, body = self.server.answer
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    started = []

    def start(status=200, headers=None, body=b'{"data": [{"id": "m"}]}'):
        srv = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
        srv.seen, srv.answer = [], (status, headers or {}, body)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize("allowed", [[], ["127.0.0.1:8000", "vllm.internal"]])
@pytest.mark.parametrize("url", HOSTILE)
def test_a_run_on_an_unlisted_host_or_with_credentials_is_refused(sst2_dataset, admin_user, settings, url, allowed):
    settings.STUDIO_BACKEND_HOSTS = allowed
    with pytest.raises(runs.RunRefused) as refused:
        runs.start_run(sst2_dataset, user=admin_user, backend="openai", base_url=url, model="m", config=FAST_CONFIG)
    assert refused.value.field == "base_url" and "secret" not in str(refused.value)
    assert not ElicitationRun.objects.exists()


def test_a_listed_host_is_accepted(sst2_dataset, admin_user, settings):
    settings.STUDIO_BACKEND_HOSTS = ["127.0.0.1:8000"]
    run = runs.start_run(sst2_dataset, user=admin_user, backend="openai", base_url="http://127.0.0.1:8000/v1",
                         model="org/served-model", config=FAST_CONFIG)
    assert run.base_url == "http://127.0.0.1:8000/v1" and run.model == "org/served-model"


def test_the_worker_checks_the_host_again_before_connecting(settings, server):
    """A run queued before the allow-list changed: the worker's model cache refuses it, nothing is sent."""
    srv = server()
    settings.STUDIO_BACKEND_HOSTS = []
    with pytest.raises(engine_port.ConfigRefused, match="STUDIO_BACKEND_HOSTS"):
        engine_port.get_backend(model="m", kind="openai", device="cpu",
                                base_url=f"http://127.0.0.1:{srv.server_port}/v1")
    assert srv.seen == []


def test_the_client_sends_the_key_only_to_listed_hosts_and_follows_no_redirect(server):
    other = server()
    redirecting = server(status=302, headers={"Location": f"http://127.0.0.1:{other.server_port}/v1/models"})
    with pytest.raises(BackendError, match="not in STUDIO_BACKEND_HOSTS"):
        OpenAIBackend(f"http://127.0.0.1:{other.server_port}/v1", "m", api_key="sk-test",
                      allowed_hosts=["localhost"])
    backend = OpenAIBackend(f"http://127.0.0.1:{redirecting.server_port}/v1", "m", api_key="sk-test",
                            allowed_hosts=[f"127.0.0.1:{redirecting.server_port}"])
    assert backend.context_length is None  # GET /models answered with a redirect: refused, not followed
    assert redirecting.seen == [("/v1/models", "Bearer sk-test")]
    assert other.seen == []  # the key never reached the unlisted server


def test_an_error_reply_body_is_not_echoed(server):
    srv = server(status=500, body=b"SECRET-INTERNAL-DETAILS " * 40)
    backend = OpenAIBackend(f"http://127.0.0.1:{srv.server_port}/v1", "m", allowed_hosts=["127.0.0.1"])
    with pytest.raises(BackendError) as failed:
        backend.score_batch(["p"], (" True", " False"))
    assert "HTTP 500" in str(failed.value) and "SECRET" not in str(failed.value)
    assert len(str(failed.value)) < 200


@pytest.mark.parametrize("model", ["/etc/passwd", "../../etc/passwd", "/nonexistent/model", "~/x", "org/name/../../.."])
def test_a_model_path_outside_the_models_dir_is_refused_alike(sst2_dataset, admin_user, settings, tmp_path, model):
    settings.STUDIO_MODELS_DIR = tmp_path / "models"
    with pytest.raises(runs.RunRefused) as refused:
        runs.start_run(sst2_dataset, user=admin_user, model=model, config=FAST_CONFIG)
    # One message whether the path exists or not.
    assert str(refused.value) == ("model: a model given as a path must be inside the models directory "
                                  f"(STUDIO_MODELS_DIR); {model!r} is not")
    assert not ElicitationRun.objects.exists()


def test_names_and_paths_inside_the_models_dir_are_accepted(sst2_dataset, admin_user, settings, tmp_path):
    settings.STUDIO_MODELS_DIR = tmp_path
    run = runs.start_run(sst2_dataset, user=admin_user, model="org/model", config=FAST_CONFIG)
    assert run.model == str((tmp_path / "org" / "model").resolve())
    run = runs.start_run(sst2_dataset, user=admin_user, model="gpt2", config={**FAST_CONFIG, "seed": 1})
    assert run.model == str((tmp_path / "gpt2").resolve())  # a plain name too is looked up there, nowhere else
    run = runs.start_run(sst2_dataset, user=admin_user, model="smollm2", config={**FAST_CONFIG, "seed": 2})
    assert run.model == "smollm2"


@pytest.mark.parametrize("name", ["studio", "manage.py", "tests"])
def test_a_plain_name_never_reaches_the_workers_directory_and_fails_with_one_message(settings, tmp_path, name,
                                                                                     monkeypatch):
    """Names of things in the worker's working directory (the repository here) are looked up in the models
    directory; a missing model and one that cannot be loaded fail alike, listing nothing."""
    from studio.services.engine_port import model_cache

    settings.STUDIO_MODELS_DIR = tmp_path
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "weights.txt").write_text("not a model")
    monkeypatch.setattr(model_cache, "_models", {})
    messages = set()
    for model in (name, "broken"):
        with pytest.raises(Exception) as failed:
            engine_port.get_backend(model=model, kind="hf", device="cpu")
        messages.add(str(failed.value).replace(repr(model), "MODEL"))
    assert messages == {"model MODEL was not found in the models directory (STUDIO_MODELS_DIR) or is not a "
                        "model this worker can load"}


@pytest.mark.parametrize("field, value, message", [
    ("iterations", 10**30, "config field 'iterations': at most 100000, got 1000000000"),
    ("initial_labels", 10**9, "config field 'initial_labels': at most 100000, got 1000000000"),
    ("alpha", 1e308, "config field 'alpha': at most 1e+06, got 1e+308"),
    ("label_words", [" " + "x" * 100_000, " no"], "config field 'label_words': each word at most 50 characters"),
])
def test_hyperparameters_have_upper_bounds_that_name_the_field(sst2_dataset, admin_user, field, value, message):
    with pytest.raises(runs.RunRefused) as refused:
        runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, field: value})
    assert str(refused.value).startswith(message)
    assert not ElicitationRun.objects.exists()


def test_the_api_answers_a_bound_with_400_naming_the_field(sst2_dataset, admin_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(admin_user)
    response = client.post("/api/runs/", {"dataset": sst2_dataset.pk, "config": {"iterations": 10**30}},
                           format="json")
    assert response.status_code == 400 and "iterations" in response.json()
    assert not ElicitationRun.objects.exists()
