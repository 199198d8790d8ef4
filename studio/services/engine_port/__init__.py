"""The engine port: the one place the studio talks to the ICM engine (`elicitation`, pure Python, no Django).

- config_fields: the hyperparameters' specification (name, kind, default, allowed words, optional), read from
  the engine's ICMConfig, that the run form, the admin and the API all use;
- config: a run's hyperparameters parsed once into the engine's ICMConfig, and loaded back in the worker;
- events: the engine's progress event as one typed object;
- model_cache: the worker process's loaded model, shared by runs and evaluations;
- work: the engine's search, baselines and state, as the worker uses them.

Importing this package loads no torch (the engine package itself is light): models load on first use.
"""
from elicitation.backends import DEVICES  # the devices a run may ask for ("auto", "cpu", "cuda")

from .config import ConfigRefused, load_config, parse_config
from .config_fields import ConfigField, config_fields
from .events import EngineEvent
from .model_cache import get_backend, is_bundled

__all__ = ["DEVICES", "ConfigField", "ConfigRefused", "EngineEvent", "config_fields", "get_backend", "is_bundled",
           "load_config", "parse_config"]
