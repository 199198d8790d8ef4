"""Smoke mode: every benchmark takes `--smoke` (or BENCH_SMOKE=1) and runs the same code paths at a tiny size in
seconds, printing its usual last line `<script_name> key=value ...`; tests/benchmarks/test_smoke.py runs each so
that none of them rots. Its figures mean nothing: only the full size measures."""
from __future__ import annotations

import argparse
import os

HELP = "run the same code paths at a tiny size in seconds (as BENCH_SMOKE=1 does); its figures measure nothing"


def add_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--smoke", action="store_true", help=HELP)


def requested(args: argparse.Namespace | None = None) -> bool:
    """--smoke given, or BENCH_SMOKE set to anything but empty or 0."""
    return bool(getattr(args, "smoke", False)) or os.environ.get("BENCH_SMOKE", "") not in ("", "0")


def apply(parser: argparse.ArgumentParser, args: argparse.Namespace, **sizes) -> bool:
    """In smoke mode, the tiny `sizes` replace the defaults of the options the command line left alone (an option
    given explicitly still wins). Returns whether smoke mode is on."""
    on = requested(args)
    if on:
        for name, value in sizes.items():
            if getattr(args, name) == parser.get_default(name):
                setattr(args, name, value)
        print(f"smoke mode: {', '.join(f'{k}={v}' for k, v in sizes.items())} (figures measure nothing)", flush=True)
    return on
