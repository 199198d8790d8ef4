"""The run estimate's cost model (studio/services/runs/estimates.py) against what runs really use, on the
bundled model: for a few designs, the estimated model tokens and seconds beside the tokens and seconds the
engine spent (search and fill; the model's load excluded on both sides), and used / estimated.

The estimate is the studio's: the same cost model (batch_tokens over the batch's shape: its size, its mean
prompt length as characters / 4, the examples it expects never to draw) and the same config the studio builds
for the bundled model (fill on, calibrate=center, the preset's label words), over the preset's own prompts
(the preset's template and max_chars). Seconds: estimated tokens at the throughput measured the studio's way
(tokens / seconds of the runs finished before, here the designs before this one, starting from a short
warm-up run), so the seconds ratio carries the token ratio and the throughput's drift.

A ratio ≤ 1 means the estimate bounded the run. Last line:
    estimate_vs_used designs=N max_token_ratio=R max_seconds_ratio=S

    .venv/bin/python benchmarks/estimate_vs_used.py [--smoke] [--designs NAME ...]   (or BENCH_SMOKE=1)

Timings on a shared CPU are noisy; the token counts are exact.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + os.urandom(16).hex())

import django  # noqa: E402

django.setup()

from elicitation import Example, ICMConfig, Problem, load_backend, run_icm  # noqa: E402
from elicitation.coverage import coverage  # noqa: E402
from studio.services.importing.presets import PRESETS  # noqa: E402
from studio.services.importing.prompts import render  # noqa: E402
from studio.services.runs.estimates import CHARS_PER_TOKEN, BatchShape, batch_tokens, binds  # noqa: E402

DATA = Path(os.environ.get("STUDIO_DATA_DIR", ROOT.parent / "shared" / "data"))
if not DATA.exists():
    DATA = ROOT / "studio" / "presets"

# (name, preset, examples, split, user config): the studio adds its defaults for the bundled model
# the study templates' reduced design for the bundled model (studio/services/studies/templates.py: 16 examples,
# 8 iterations, 4 initial labels, 4 demonstrations per prompt; exact scoring, the studio's default up to 32)
REDUCED = {"iterations": 8, "initial_labels": 4, "max_demos": 4, "scoring": "exact"}
DESIGNS = [
    ("sst2-16-exact", "sst2", 16, "test", {"iterations": 8, "initial_labels": 8, "scoring": "exact"}),
    ("sst2-32-folds", "sst2", 32, "test", {"iterations": 8, "initial_labels": 8, "scoring": "folds"}),
    # annealing well past one visit per example, on the paper's temperature schedule (cache hits pile up)
    ("sst2-8-exact-paper-24it", "sst2", 8, "test", {"iterations": 24, "initial_labels": 4, "scoring": "exact",
                                                    "schedule": "paper"}),
    ("blog-gender-reduced", "blog-gender", 16, "train", REDUCED),
    ("blog-gender-reduced-local", "blog-gender", 16, "train", {**REDUCED, "fix_strategy": "local"}),
]
# heavier designs, run by name only (--designs): whole contexts of blog posts take tens of CPU-minutes
MORE = [
    ("blog-gender-4pairs-exact", "blog-gender", 8, "train", {"iterations": 4, "initial_labels": 4,
                                                            "scoring": "exact"}),
    ("blog-gender-8pairs-folds", "blog-gender", 16, "train", {"iterations": 6, "initial_labels": 4,
                                                             "scoring": "folds"}),
]
SMOKE = [
    ("sst2-4-exact", "sst2", 4, "test", {"iterations": 2, "initial_labels": 2, "scoring": "exact"}),
    ("blog-gender-1pair-exact", "blog-gender", 2, "train", {"iterations": 1, "initial_labels": 2,
                                                           "scoring": "exact"}),
]
WARMUP = ("warm-up", "sst2", 4, "test", {"iterations": 1, "initial_labels": 2, "scoring": "exact"})


def problem_for(preset_name: str, n: int, split: str) -> Problem:
    """The first n examples of a preset's split (whole consistency groups), rendered as the studio renders."""
    spec = PRESETS[preset_name]
    rows = []
    for row in spec.build(DATA, None):
        if row.split == split:
            rows.append(row)
            if len(rows) >= n and (row.group is None or len(rows) % 2 == 0):
                break
    return Problem([Example(i, render(spec.prompt_template, r.fields, spec.max_chars), group=r.group or None,
                            key=r.key or None) for i, r in enumerate(rows)], consistency=spec.consistency)


def studio_config(preset_name: str, user: dict) -> dict:
    """The config the studio builds for the bundled model (studio/services/runs/configuration.py)."""
    spec = PRESETS[preset_name]
    return ICMConfig.from_dict({"fill": True, "calibrate": "center",
                                "label_words": [spec.true_word, spec.false_word], **user}).to_dict()


def measure(backend, name, preset, n, split, user) -> dict:
    problem = problem_for(preset, n, split)
    config = studio_config(preset, user)
    chars = [len(e.prompt) for e in problem.examples]
    shape = BatchShape(examples=len(chars), prompt_tokens=sum(chars) / len(chars) / CHARS_PER_TOKEN,
                       expected_unvisited=coverage(problem, config["iterations"], config["initial_labels"]).expected_unvisited,
                       consistency_groups=binds(problem))
    estimated = batch_tokens(shape, config)
    began, cpu = time.monotonic(), time.process_time()
    result = run_icm(problem, ICMConfig.from_dict(config), backend)
    seconds, cpu = time.monotonic() - began, time.process_time() - cpu
    used = int(result.summary["tokens"]) + int(result.summary.get("fill_tokens") or 0)
    return {"name": name, "n": len(chars), "estimated_tokens": estimated, "used_tokens": used,
            "used_seconds": seconds, "cpu_seconds": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="two tiny designs (seconds)")
    parser.add_argument("--designs", nargs="+", metavar="NAME", help="only these designs (default: all)")
    args = parser.parse_args()
    smoke = args.smoke or os.environ.get("BENCH_SMOKE") == "1"
    designs = SMOKE if smoke else DESIGNS
    if args.designs:
        known = SMOKE + DESIGNS + MORE
        unknown = sorted(set(args.designs) - {d[0] for d in known})
        if unknown:
            parser.error(f"unknown design(s) {', '.join(unknown)}; choose from {', '.join(d[0] for d in known)}")
        designs = [d for d in known if d[0] in args.designs]
    backend = load_backend("smollm2", device="cpu")
    warm = measure(backend, *WARMUP)
    done_tokens, done_seconds = warm["used_tokens"], warm["used_seconds"]
    token_ratios, seconds_ratios = [], []
    for design in designs:
        rate = done_tokens / done_seconds  # the throughput the studio would have measured by now
        m = measure(backend, *design)
        est_seconds = m["estimated_tokens"] / rate
        tr, sr = m["used_tokens"] / m["estimated_tokens"], m["used_seconds"] / est_seconds
        token_ratios.append(tr)
        seconds_ratios.append(sr)
        print(f"  {m['name']:26s} n={m['n']:3d} tokens estimated {m['estimated_tokens']:9,.0f} used "
              f"{m['used_tokens']:9,d} ratio {tr:.2f} | seconds estimated {est_seconds:7.1f} used "
              f"{m['used_seconds']:7.1f} ratio {sr:.2f} (at {rate:,.0f} tokens/s measured before; "
              f"{m['cpu_seconds']:.0f} CPU s)", flush=True)
        done_tokens += m["used_tokens"]
        done_seconds += m["used_seconds"]
    print(f"estimate_vs_used designs={len(token_ratios)} max_token_ratio={max(token_ratios):.3f} "
          f"max_seconds_ratio={max(seconds_ratios):.3f}")


if __name__ == "__main__":
    main()
