"""ICMConfig and SearchState: JSON round trips and clear errors for bad values."""
import json
import random

import pytest

from elicitation import ICMConfig, InputError, SearchState
from elicitation.state import rng_from_json, rng_to_json


def test_defaults_are_the_paper_and_official_code_values():
    c = ICMConfig()
    assert (c.alpha, c.t0, c.t_min, c.beta, c.iterations, c.consistency_fix_rounds, c.initial_labels) == (
        50.0, 10.0, 0.01, 0.99, 3000, 10, 8)
    assert (c.score, c.schedule, c.calibrate, c.scoring) == ("mean-logodds", "log", "none", "exact")
    assert c.label_words == (" True", " False")


def test_config_round_trips_through_json():
    c = ICMConfig(seed=7, iterations=12, alpha=30, calibrate="center", label_words=(" Yes", " No"),
                  score="sum-logprob", schedule="paper")
    d = json.loads(json.dumps(c.to_dict()))
    assert d["label_words"] == [" Yes", " No"] and d["alpha"] == 30.0
    assert ICMConfig.from_dict(d) == c


def test_unknown_config_keys_are_refused_by_name():
    with pytest.raises(ValueError, match="unknown config field.*temperature"):
        ICMConfig.from_dict({"seed": 1, "temperature": 3})


@pytest.mark.parametrize("field,value,message", [
    ("iterations", -1, "iterations"), ("iterations", 2.5, "iterations"), ("alpha", "big", "alpha"),
    ("score", "max", "score"), ("schedule", "exp", "schedule"), ("calibrate", "batch", "calibrate"),
    ("scoring", "psychic", "scoring"), ("label_words", [" True"], "label_words"),
    ("label_words", [" True", "true"], "label_words"), ("t0", 0, "t0"), ("checkpoint_every", 0, "checkpoint_every"),
    ("seed", True, "seed"), ("alpha", float("nan"), "alpha"),
])
def test_bad_config_values_name_their_field(field, value, message):
    with pytest.raises(ValueError, match=f"'{message}'"):
        ICMConfig.from_dict({field: value})


def test_rng_state_round_trips_through_json():
    rng = random.Random(11)
    for _ in range(5):
        rng.random()
    saved = json.loads(json.dumps(rng_to_json(rng)))
    restored = rng_from_json(saved)
    assert [restored.random() for _ in range(5)] == [rng.random() for _ in range(5)]


def test_search_state_round_trips_and_rejects_broken_checkpoints():
    state = SearchState(labels={"a": True, "b": None}, iteration=3, initialized=True, energy=1.5,
                        rng=rng_to_json(random.Random(1)), scores={"a": 0.25})
    d = json.loads(json.dumps(state.to_dict()))
    assert SearchState.from_dict(d) == state
    with pytest.raises(InputError, match="version"):
        SearchState.from_dict({**d, "version": 99})
    with pytest.raises(InputError, match="unknown field"):
        SearchState.from_dict({**d, "surprise": 1})
    with pytest.raises(InputError, match="label of 'a'"):
        SearchState.from_dict({**d, "labels": {"a": "yes"}})
    with pytest.raises(InputError, match="random generator"):
        SearchState.from_dict({**d, "rng": [3, "x", None]})
