"""A launcher for the benchmark smoke lane: one Python process that imports torch and transformers once (about
3.5 CPU seconds each time a script does it, most of a smoke run's own work), then forks a child per script that
runs `benchmarks/<name>.py --smoke` as the interpreter would: its own process and session, the repository root
as its directory, the environment it was given, its stdout and stderr in the files named, `__main__` run from
the script's path. Nothing else is preloaded (Django's settings are read by the child, from its environment).

Run as `python tests/benchmarks/preloaded.py` with the lane's environment. Protocol, one JSON object a line:
in  {"script": path, "env": {...}, "stdout": path, "stderr": path}
out {"pid": child's pid}, then {"returncode": exit code, "cpu": user + system seconds of the child and the
processes it waited for}. End of input ends the launcher.
"""
from __future__ import annotations

import gc
import json
import os
import runpy
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BASE_PATH = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]


def preload() -> None:
    sys.path.insert(0, str(REPO_ROOT))
    import torch  # noqa: F401
    import transformers  # noqa: F401
    from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: F401
    from transformers.models.llama import modeling_llama  # noqa: F401

    sys.path.remove(str(REPO_ROOT))
    # What is loaded now stays out of the children's garbage collections: each would otherwise walk (and, by
    # touching, copy) every object torch and transformers made
    gc.freeze()


def child(request: dict) -> None:
    """In the forked child: become `python <script> --smoke`. Never returns (SystemExit ends the interpreter
    as a script's end would, atexit handlers and all)."""
    os.setsid()
    stdin = os.open(os.devnull, os.O_RDONLY)
    out = os.open(request["stdout"], os.O_WRONLY)
    err = os.open(request["stderr"], os.O_WRONLY)
    for fd, target in ((stdin, 0), (out, 1), (err, 2)):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(REPO_ROOT)
    os.environ.clear()
    os.environ.update(request["env"])
    script = str(Path(request["script"]).resolve())
    sys.argv = [script, "--smoke"]
    sys.path[:] = [str(Path(script).parent)] + BASE_PATH
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        code = e.code
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    raise SystemExit(code)


def main() -> None:
    preload()
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            child(request)
        print(json.dumps({"pid": pid}), flush=True)
        _, status, usage = os.wait4(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status),
                          "cpu": usage.ru_utime + usage.ru_stime}), flush=True)


if __name__ == "__main__":
    main()
