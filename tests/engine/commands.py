"""The engine's command line and scripts run in a subprocess, as a user runs them."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def small_env(threads: int | None = None) -> dict:
    """A minimal environment (no Django settings, offline hub), keeping where the model cache lives."""
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    if threads:
        env["ICM_TORCH_THREADS"] = str(threads)
    for name in ("HOME", "ICM_MODEL_CACHE"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return env


def run_python(*args, timeout: float, env: dict | None = None, cwd: Path | None = None):
    """`python ARGS...` from the repository root (or cwd); env None inherits this process's environment."""
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd or REPO, capture_output=True, text=True,
                          timeout=timeout, env=env)


def run_elicitation(*args, timeout: float, env: dict | None = None, cwd: Path | None = None):
    """`python -m elicitation ARGS...`."""
    return run_python("-m", "elicitation", *args, timeout=timeout, env=env, cwd=cwd)
