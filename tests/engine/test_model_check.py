"""Checkpoints record the model (name and weight fingerprint) and refuse to resume with another one, whose
scores would otherwise be mixed with the cached scores of the first. Scripted backends stand in for models
here (the bundled model's fingerprint is checked in test_real_model.py)."""
import json
import warnings

import pytest

from elicitation import CheckpointWarning, ICMConfig, InputError, SearchState, run_icm
from elicitation.fingerprint import folder_fingerprint, model_fingerprint, remote_fingerprint
from elicitation.backends.openai_compat import OpenAIBackend

from .fakes import ScriptedBackend, signal_problem

SIGNALS = [2, -1.5, 1, -2, 0.5, -0.5, 1.5, -1]
CONFIG = ICMConfig(seed=1, iterations=6, initial_labels=4)


def first_run(backend):
    return run_icm(signal_problem(SIGNALS), CONFIG, backend)


def test_the_state_records_the_model_and_round_trips():
    r = first_run(ScriptedBackend(name="model-a", fingerprint="ab12" * 16))
    assert r.state.model == {"name": "model-a", "fingerprint": "ab12" * 16}
    assert r.summary["model_fingerprint"] == "ab12" * 16
    assert SearchState.from_dict(json.loads(json.dumps(r.state.to_dict()))).model == r.state.model


def test_resuming_with_another_model_is_refused_naming_both():
    r = first_run(ScriptedBackend(name="model-a", fingerprint="ab12" * 16))
    other = ScriptedBackend(name="model-b", fingerprint="cd34" * 16)
    with pytest.raises(InputError) as caught:
        run_icm(signal_problem(SIGNALS), CONFIG.replace(iterations=12), other, state=r.state)
    message = str(caught.value)
    assert "made with model 'model-a' (fingerprint ab12ab12ab12…)" in message
    assert "resuming with 'model-b' (fingerprint cd34cd34cd34…) would reuse 'model-a''s cached scores" in message
    assert other.calls == 0  # refused before any scoring


def test_same_weights_under_another_name_resume_and_same_name_other_weights_do_not():
    r = first_run(ScriptedBackend(name="smollm2", fingerprint="ab12" * 16))
    same = run_icm(signal_problem(SIGNALS), CONFIG.replace(iterations=8),
                   ScriptedBackend(name="/cache/smollm2-folder", fingerprint="ab12" * 16), state=r.state)
    assert same.state.iteration == 8
    with pytest.raises(InputError, match="fingerprint"):
        run_icm(signal_problem(SIGNALS), CONFIG, ScriptedBackend(name="smollm2", fingerprint="ee" * 32),
                state=r.state)


def test_backends_without_fingerprints_are_told_apart_by_name():
    r = first_run(ScriptedBackend(name="a"))
    run_icm(signal_problem(SIGNALS), CONFIG, ScriptedBackend(name="a"), state=r.state)
    with pytest.raises(InputError, match="made with model 'a' \\(no fingerprint\\)"):
        run_icm(signal_problem(SIGNALS), CONFIG, ScriptedBackend(name="b"), state=r.state)


def test_an_old_checkpoint_without_a_model_is_accepted_with_a_warning_and_then_records_it():
    r = first_run(ScriptedBackend(name="a", fingerprint="ab" * 32))
    old = r.state.to_dict()
    del old["model"]  # as written before checkpoints recorded the model
    old["config"].pop("fill")  # nor did configs have `fill`
    with pytest.warns(CheckpointWarning, match="does not record its model"):
        resumed = run_icm(signal_problem(SIGNALS), CONFIG.replace(iterations=8), ScriptedBackend(name="b"),
                          state=SearchState.from_dict(old))
    assert resumed.state.model == {"name": "b", "fingerprint": None}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_icm(signal_problem(SIGNALS), CONFIG.replace(iterations=9), ScriptedBackend(name="b"), state=resumed.state)


def test_a_broken_model_field_is_refused():
    d = first_run(ScriptedBackend()).state.to_dict()
    with pytest.raises(InputError, match="'model'"):
        SearchState.from_dict({**d, "model": "smollm2"})


def test_folder_fingerprints_follow_the_weights_not_the_place(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        (folder / "sub").mkdir(parents=True)
        (folder / "config.json").write_text('{"layers": 2}')
        (folder / "sub" / "model.safetensors").write_bytes(bytes(range(256)) * 10_000)
        (folder / "README.md").write_text(f"notes about {folder}")  # not a weight file: ignored
    assert folder_fingerprint(a) == folder_fingerprint(b) == model_fingerprint(str(a))
    data = bytearray((b / "sub" / "model.safetensors").read_bytes())
    data[-5] ^= 1  # a change in the last MiB
    (b / "sub" / "model.safetensors").write_bytes(bytes(data))
    assert folder_fingerprint(a) != folder_fingerprint(b)
    assert folder_fingerprint(tmp_path / "missing") is None
    assert model_fingerprint("org/not-cached-model") == model_fingerprint("org/not-cached-model") != model_fingerprint(
        "org/other-model")


def test_a_remote_backend_is_fingerprinted_by_its_url_and_model():
    one = OpenAIBackend("http://127.0.0.1:9/v1/", "m1")
    assert one.fingerprint == remote_fingerprint("http://127.0.0.1:9/v1", "m1")
    assert one.fingerprint != OpenAIBackend("http://127.0.0.1:9/v1", "m2").fingerprint
    assert one.fingerprint != OpenAIBackend("http://127.0.0.2:9/v1", "m1").fingerprint
