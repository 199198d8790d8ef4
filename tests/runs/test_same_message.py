"""One bad hyperparameter, one message: the run form at /runs/start/, the admin's start-run form and
POST /api/runs/ all hand the configuration to the engine port, which parses it once and names the field.
Nothing is created on a refusal."""
import html

import pytest

from studio.models import ElicitationRun
from studio.services import engine_port, runs

from tests.support.workers import FAST_CONFIG

pytestmark = pytest.mark.django_db

BAD_VALUES = [
    ("iterations", "abc", "config field 'iterations': expected an integer, got 'abc'"),
    ("alpha", "lots", "config field 'alpha': expected a number, got 'lots'"),
    ("schedule", "linear", "config field 'schedule': 'linear' is not one of log, paper"),
    ("checkpoint_every", "0", "config field 'checkpoint_every': must be >= 1"),
    ("max_demos", "some", "config field 'max_demos': expected an integer, got 'some'"),
]


def _form_data(dataset, name, value):
    data = {"dataset": dataset.pk, "split": "", "subset": "all", "sample_seed": 0, "model": "smollm2",
            "backend": "hf", "device": "auto", "base_url": ""}
    data.update({f"cfg_{k}": v for k, v in FAST_CONFIG.items()})
    data[f"cfg_{name}"] = value
    return data


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("name, value, message", BAD_VALUES)
def test_a_bad_hyperparameter_gets_the_same_message_from_the_page_the_admin_and_the_api(
        admin_client, sst2_dataset, name, value, message):
    page = admin_client.post("/runs/start/", _form_data(sst2_dataset, name, value))
    assert page.status_code == 200 and message in html.unescape(page.content.decode())

    admin = admin_client.post("/admin/studio/elicitationrun/start/", _form_data(sst2_dataset, name, value))
    assert admin.status_code == 200 and message in html.unescape(admin.content.decode())

    api = admin_client.post("/api/runs/", {"dataset": sst2_dataset.pk, "config": {**FAST_CONFIG, name: value}},
                            content_type="application/json")
    assert api.status_code == 400 and message in api.content.decode()
    assert not ElicitationRun.objects.exists()


def test_the_page_shows_the_message_beside_the_field_it_names(admin_client, sst2_dataset):
    page = admin_client.post("/runs/start/", _form_data(sst2_dataset, "iterations", "abc"))
    form = page.context["form"]
    assert form.errors["cfg_iterations"] == ["config field 'iterations': expected an integer, got 'abc'"]


@pytest.mark.parametrize("config, message", [
    ({"temprature": 2}, "config field 'temprature' is not an engine hyperparameter (known: alpha, beta,"),
    ({"label_words": "yes/no"}, "config field 'label_words': expected a list of words, got 'yes/no'"),
    ({"label_words": [" Yes", " yes"]}, "config field 'label_words': the two words must differ"),
    ({"iterations": True}, "config field 'iterations': expected an integer, got True"),
])
def test_what_only_the_api_can_send_is_refused_naming_the_field(admin_client, sst2_dataset, config, message):
    """The forms offer neither unknown keys nor the label words (they come from the dataset); JSON can."""
    api = admin_client.post("/api/runs/", {"dataset": sst2_dataset.pk, "config": config},
                            content_type="application/json")
    assert api.status_code == 400 and message in api.content.decode()
    with pytest.raises(runs.RunRefused) as refused:
        runs.start_run(sst2_dataset, user=api.wsgi_request.user, config=config)
    assert message in str(refused.value)
    assert not ElicitationRun.objects.exists()


def test_the_stored_config_loads_back_as_an_equal_engine_config(sst2_dataset, admin_user):
    from elicitation import ICMConfig

    run = runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, "alpha": "12.5", "max_demos": "3"})
    run.refresh_from_db()
    loaded = engine_port.load_config(run.config)
    assert isinstance(loaded, ICMConfig)
    assert loaded == engine_port.parse_config(
        {**FAST_CONFIG, "alpha": 12.5, "max_demos": 3},
        defaults={"label_words": [sst2_dataset.true_word, sst2_dataset.false_word], "calibrate": "center",
                  "fill": True})
    assert loaded.to_dict() == run.config and loaded.alpha == 12.5 and loaded.max_demos == 3
