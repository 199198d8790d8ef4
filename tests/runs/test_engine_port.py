"""The engine port is the studio's one door into the engine: no other studio module imports `elicitation`, and
what web processes use of it (the field list, parsing a config) loads no torch."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from studio.services import engine_port

ROOT = Path(__file__).resolve().parents[2]
IMPORTS_ENGINE = re.compile(r"^\s*(from|import)\s+elicitation\b", re.MULTILINE)


def test_no_studio_module_but_the_port_imports_the_engine():
    port = ROOT / "studio" / "services" / "engine_port"
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "studio").rglob("*.py")
                 if port not in path.parents and IMPORTS_ENGINE.search(path.read_text())]
    assert offenders == []


def test_the_field_list_and_parsing_load_no_torch():
    code = ("import sys; from studio.services import engine_port; "
            "engine_port.parse_config({'iterations': '5'}); engine_port.config_fields(); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_the_model_cache_keeps_one_model_and_reuses_it(monkeypatch):
    """A stand-in loader (no model needed to check the cache's bookkeeping)."""
    from studio.services.engine_port import model_cache

    loads = []
    monkeypatch.setattr("elicitation.load_backend", lambda **kw: loads.append(kw) or object())
    monkeypatch.setattr(model_cache, "_models", {})
    first, reused = engine_port.get_backend(model="m1", kind="hf", device="cpu")
    assert not reused
    again, reused = engine_port.get_backend(model="m1", kind="hf", device="cpu")
    assert reused and again is first
    other, reused = engine_port.get_backend(model="m2", kind="hf", device="cpu")
    assert not reused and other is not first and len(model_cache._models) == 1
    assert len(loads) == 2


@pytest.mark.parametrize("raw, typed", [
    ({"iteration": 3, "energy": -1.5, "accepted_flips": 2, "inconsistencies": 0, "labeled_count": 4,
      "label_counts": {"true": 3, "false": 1}, "tokens": 70, "changes": {7: True}, "temperature": 0.5},
     engine_port.EngineEvent(iteration=3, energy=-1.5, accepted_flips=2, inconsistencies=0, labeled_count=4,
                             true_count=3, false_count=1, tokens=70, changes={"7": True})),
    ({"iteration": 0, "energy": None, "labels": {1: False}, "changes": {}, "label_counts": {"true": 0, "false": 1}},
     engine_port.EngineEvent(iteration=0, labels={"1": False}, false_count=1)),
])
def test_an_engine_event_becomes_one_typed_event(raw, typed):
    assert engine_port.EngineEvent.from_engine(raw) == typed
