"""The engine port's hyperparameter fields: read from the engine's ICMConfig, each kind parsed from a form's text
or a JSON value, a bad value refused naming its field (no database, no model)."""
from dataclasses import fields

import pytest

from elicitation import ICMConfig
from studio.services.engine_port import ConfigRefused, config_fields, parse_config
from studio.services.engine_port.config_fields import field_named


def test_every_engine_hyperparameter_is_a_field_with_its_kind_default_and_words():
    specs = {f.name: f for f in config_fields()}
    assert list(specs) == [f.name for f in fields(ICMConfig)]
    assert specs["iterations"].kind == "int" and specs["iterations"].default == 3000
    assert specs["alpha"].kind == "float" and specs["alpha"].default == 50.0
    assert specs["schedule"].kind == "word" and specs["schedule"].choices == ("log", "paper")
    assert "folds" in specs["scoring"].choices and "stable" in specs["fold_placement"].choices
    assert specs["label_words"].kind == "words" and specs["label_words"].default == [" True", " False"]
    assert specs["max_demos"].optional and specs["max_demos"].kind == "int" and specs["max_demos"].default is None
    assert not specs["iterations"].optional


@pytest.mark.parametrize("name, raw, parsed", [
    ("iterations", "12", 12), ("iterations", " 12 ", 12), ("iterations", 12, 12), ("iterations", 12.0, 12),
    ("seed", "-3", -3),
    ("alpha", "2.5", 2.5), ("alpha", 3, 3.0), ("alpha", "1e2", 100.0),
    ("schedule", "paper", "paper"),
    ("label_words", [" Yes", " No"], [" Yes", " No"]), ("label_words", (" Yes", " No"), [" Yes", " No"]),
    ("max_demos", "", None), ("max_demos", None, None), ("max_demos", "4", 4),
])
def test_each_kind_parses_form_text_and_json_values(name, raw, parsed):
    value = field_named(name).parse(raw)
    assert value == parsed and type(value) is type(parsed)


@pytest.mark.parametrize("name, raw, message", [
    ("iterations", "abc", "config field 'iterations': expected an integer, got 'abc'"),
    ("iterations", "1.5", "config field 'iterations': expected an integer, got '1.5'"),
    ("iterations", 1.5, "config field 'iterations': expected an integer, got 1.5"),
    ("iterations", True, "config field 'iterations': expected an integer, got True"),
    ("iterations", None, "config field 'iterations': expected an integer, got None"),
    ("iterations", "", "config field 'iterations': expected an integer, got ''"),
    ("alpha", "lots", "config field 'alpha': expected a number, got 'lots'"),
    ("alpha", "nan", "config field 'alpha': expected a number, got 'nan'"),
    ("alpha", [1], "config field 'alpha': expected a number, got [1]"),
    ("schedule", "linear", "config field 'schedule': 'linear' is not one of log, paper"),
    ("schedule", 1, "config field 'schedule': 1 is not one of log, paper"),
    ("label_words", " Yes", "config field 'label_words': expected a list of words, got ' Yes'"),
    ("label_words", [" Yes", 2], "config field 'label_words': expected a list of words, got [' Yes', 2]"),
    ("max_demos", "some", "config field 'max_demos': expected an integer, got 'some'"),
])
def test_each_kind_refuses_a_bad_value_naming_the_field(name, raw, message):
    with pytest.raises(ConfigRefused) as refused:
        field_named(name).parse(raw)
    assert str(refused.value) == message and refused.value.field == name


def test_a_config_is_parsed_once_into_the_engines_config_over_the_studios_defaults():
    config = parse_config({"iterations": "5", "calibrate": "none"}, defaults={"calibrate": "center", "seed": 7})
    assert config == ICMConfig(iterations=5, calibrate="none", seed=7)


@pytest.mark.parametrize("values, field, message", [
    ({"iteratons": 5}, "iteratons", "config field 'iteratons' is not an engine hyperparameter"),
    ({"checkpoint_every": "0"}, "checkpoint_every", "config field 'checkpoint_every': must be >= 1"),
    ({"folds": 1}, "folds", "config field 'folds': expected an integer >= 2, got 1"),
    (["iterations"], "config", "config must be an object of hyperparameters, got list"),
])
def test_unknown_keys_and_values_the_engine_rejects_are_refused_naming_the_field(values, field, message):
    with pytest.raises(ConfigRefused) as refused:
        parse_config(values)
    assert message in str(refused.value) and refused.value.field == field
