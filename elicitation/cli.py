"""Command line: `python -m elicitation label | baseline | prepare-model`.

Errors in the input (a missing prompt, a duplicate id, a non-JSON line) name the line, exit with status 2
and write no output file. Output is written atomically once the run has finished.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path

from . import baselines, models
from .config import CALIBRATIONS, SCHEDULES, SCORES, ICMConfig
from .errors import BackendError, ElicitationError
from .jsonl import examples_from_rows, read_gold, read_rows, write_atomic, write_labels
from .problem import CONSISTENCY_MODES, Problem
from .scoring import CPU_EXACT_LIMIT
from .scoring.folds import FoldPlan
from .state import SearchState

EXIT_INPUT = 2
EXIT_BACKEND = 3
EXIT_STOPPED = 130


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=None,
                   help="smollm2 (bundled), a model folder or .gguf file, or a Hugging Face name "
                        "(default: $STUDIO_MODEL, else smollm2)")
    p.add_argument("--backend", choices=("hf", "vllm", "openai"), default="hf")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (hf and vllm backends)")
    p.add_argument("--base-url", default=None, help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
    p.add_argument("--label-words", nargs=2, metavar=("TRUE_WORD", "FALSE_WORD"), default=None,
                   help='label words (default " True" " False")')
    p.add_argument("--calibrate", choices=CALIBRATIONS, default=None,
                   help="center: subtract the mean log-odds (recommended for the bundled model)")
    p.add_argument("--consistency", choices=("auto",) + CONSISTENCY_MODES, default="auto",
                   help="how group/key are read (auto: keys when any example has a key, else none)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m elicitation",
                                     description="Label examples with a language model by Internal Coherence "
                                                 "Maximization (ICM), or score the paper's baselines.")
    sub = parser.add_subparsers(dest="command", required=True)

    label = sub.add_parser("label", help="run ICM on INPUT.jsonl and write labels")
    label.add_argument("input")
    label.add_argument("--out", required=True)
    _model_options(label)
    label.add_argument("--seed", type=int)
    label.add_argument("--iterations", type=int)
    label.add_argument("--alpha", type=float)
    label.add_argument("--initial-labels", type=int)
    label.add_argument("--consistency-fix-rounds", type=int)
    label.add_argument("--score", choices=SCORES)
    label.add_argument("--schedule", choices=SCHEDULES)
    label.add_argument("--t0", type=float)
    label.add_argument("--t-min", type=float)
    label.add_argument("--beta", type=float)
    label.add_argument("--scoring", default=None,
                       help="how P(D) is scored: exact (the paper's leave-one-out), folds (leave-one-fold-out) or "
                            "blocks (parallel blocks; approximate); default exact, folds on a CPU over "
                            f"{CPU_EXACT_LIMIT} examples")
    label.add_argument("--folds", type=int, help="scoring folds: number of folds (default 4)")
    label.add_argument("--fold-placement", choices=FoldPlan.PLACEMENTS,
                       help="scoring folds: where examples sit in a fold's context: stable (default; the exact "
                            "prompt minus the fold), arrival (a newly labeled example joins the end: cheaper "
                            "proposals, but measured to stall labeling) or recent-last (changed ones move to the "
                            "end too; biases the search)")
    label.add_argument("--max-demos", type=int,
                       help="at most K demonstrations per prompt, a fixed seeded subset (for prompts that would "
                            "not fit the model's context)")
    label.add_argument("--checkpoint", help="save the search state here every --checkpoint-every iterations "
                                            "and at exit")
    label.add_argument("--checkpoint-every", type=int)
    label.add_argument("--resume", help="continue from a checkpoint (same input and options)")

    base = sub.add_parser("baseline", help="score a baseline: zero-shot, random-labels or gold-labels")
    base.add_argument("method", choices=baselines.METHODS)
    base.add_argument("input")
    base.add_argument("--out", required=True)
    base.add_argument("--test", help="score these examples, with INPUT as the demonstrations")
    base.add_argument("--seed", type=int, default=0, help="random-labels: the labels' seed")
    base.add_argument("--max-demos", type=int, help="at most K demonstrations per prompt (a fixed seeded subset)")
    _model_options(base)

    prep = sub.add_parser("prepare-model", help="convert the bundled model to a fast-loading cache once")
    prep.add_argument("--model", default=None, help="smollm2 or a .gguf file (default: $STUDIO_MODEL, else smollm2)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "prepare-model":
            print(models.prepare(args.model))
            return 0
        if args.command == "label":
            return cmd_label(args)
        return cmd_baseline(args)
    except ElicitationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BackendError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BACKEND


def _problem(path: str, rows, consistency: str) -> Problem:
    examples = examples_from_rows(path, rows)
    if consistency == "auto":
        consistency = "keys" if any(e.key is not None for e in examples) else "none"
    return Problem(examples, consistency=consistency)


def _config(args, base: dict) -> ICMConfig:
    values = dict(base)
    for name in ("seed", "iterations", "alpha", "initial_labels", "consistency_fix_rounds", "score", "schedule",
                 "t0", "t_min", "beta", "calibrate", "checkpoint_every", "scoring", "folds", "fold_placement",
                 "max_demos"):
        value = getattr(args, name, None)
        if value is not None:
            values[name] = value
    if args.label_words:
        values["label_words"] = list(args.label_words)
    return ICMConfig.from_dict(values)


def _calibration_note(args, config: ICMConfig) -> None:
    if (args.model or models.default_model()) in models.BUNDLED and config.calibrate == "none" and not args.quiet:
        print("note: calibrate=none with the bundled model: its log-odds lean to one label, and uncalibrated runs "
              "tend to collapse to a constant labeling; --calibrate center avoids that", file=sys.stderr)


def _backend(args):
    from .backends import load_backend

    return load_backend(model=args.model, kind=args.backend, device=args.device, base_url=args.base_url)


def cmd_label(args) -> int:
    rows = read_rows(args.input)
    problem = _problem(args.input, rows, args.consistency)
    state = None
    base = {}
    if args.resume:
        try:
            state = SearchState.from_dict(json.loads(Path(args.resume).read_text()))
        except FileNotFoundError:
            raise ElicitationError(f"--resume {args.resume}: no such file") from None
        except json.JSONDecodeError as exc:
            raise ElicitationError(f"--resume {args.resume}: not valid JSON ({exc.msg})") from None
        base = dict(state.config)
    config = _config(args, base)
    _calibration_note(args, config)
    backend = _backend(args)
    if (args.scoring is None and "scoring" not in base and getattr(backend, "device", None) == "cpu"
            and len(problem) > CPU_EXACT_LIMIT):
        config = config.replace(scoring="folds")
        print(f"note: scoring=folds: a CPU run over {len(problem)} examples (> {CPU_EXACT_LIMIT}); exact scoring "
              "costs O(n^2) tokens per evaluation. --scoring exact asks for it anyway", file=sys.stderr)

    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True

    previous = signal.signal(signal.SIGINT, on_signal)
    progress = Progress(config.iterations, quiet=args.quiet)

    def on_checkpoint(st: SearchState) -> None:
        if args.checkpoint:
            write_atomic(args.checkpoint, json.dumps(st.to_dict()))

    from .search import run_icm

    try:
        result = run_icm(problem, config, backend, on_event=progress.update, should_stop=lambda: stop["flag"],
                         state=state, on_checkpoint=on_checkpoint)
    finally:
        signal.signal(signal.SIGINT, previous)
        progress.close()
    print(format_summary(result.summary), file=sys.stderr)
    if result.stopped:
        where = f"; resume with --resume {args.checkpoint}" if args.checkpoint else ""
        print(f"stopped at iteration {result.state.iteration}{where} (no output written)", file=sys.stderr)
        return EXIT_STOPPED
    write_labels(args.out, [e.id for e in problem.examples], result.labels, result.scores)
    return 0


def cmd_baseline(args) -> int:
    rows = read_rows(args.input)
    problem = _problem(args.input, rows, args.consistency)
    test = None
    if args.test:
        test = _problem(args.test, read_rows(args.test), args.consistency)
    gold = read_gold(args.input, rows) if args.method == "gold-labels" else None
    values = {"seed": args.seed, "max_demos": args.max_demos}
    if args.calibrate:
        values["calibrate"] = args.calibrate
    if args.label_words:
        values["label_words"] = list(args.label_words)
    config = ICMConfig.from_dict(values)
    backend = _backend(args)
    if args.method == "zero-shot":
        result = baselines.zero_shot(problem, backend, config, test=test)
    elif args.method == "random-labels":
        result = baselines.random_labels(problem, backend, config, test=test)
    else:
        result = baselines.gold_labels(problem, gold, backend, config, test=test)
    scored = test if test is not None else problem
    write_labels(args.out, [e.id for e in scored.examples], result.labels, result.scores)
    print(format_summary(result.summary), file=sys.stderr)
    return 0


def format_summary(s: dict) -> str:
    counts = s.get("label_counts") or {}
    lines = []
    if "method" in s:
        lines.append(f"baseline {s['method']}: {s['examples']} examples, {s['demonstrations']} demonstrations")
    else:
        rate = s.get("acceptance_rate")
        lines.append(f"iterations {s['iterations']}/{s['iterations_planned']}"
                     f"{' (stopped)' if s.get('stopped') else ''}; accepted {s['accepted']} of {s['proposals']} "
                     f"proposals ({'n/a' if rate is None else f'{rate:.0%}'})")
        energy = s.get("energy")
        lines.append(f"final U {energy:.3f}" if energy is not None else "final U n/a")
        lines.append(f"inconsistencies {s['inconsistencies']}")
        lines.append(describe_scoring(s.get("scoring_settings") or {"scoring": s.get("scoring")}))
    lines.append(f"labels {counts.get('true', 0)} true / {counts.get('false', 0)} false / "
                 f"{counts.get('unlabeled', 0)} unlabeled{'  [DEGENERATE: over 90% one label]' if s.get('degenerate') else ''}")
    lines.append(f"zero scores (neither label word found) {s.get('zero_scores', 0)}")
    lines.append(f"calibrate {s.get('calibrate')}; model tokens processed {s.get('tokens', 0):,}; "
                 f"{s.get('seconds', 0):.1f} s")
    return "\n".join(lines)


def describe_scoring(settings: dict) -> str:
    extra = []
    if settings.get("folds"):
        extra.append(f"{settings['folds']} folds")
    if settings.get("fold_placement", "stable") != "stable":
        extra.append(f"placement {settings['fold_placement']}")
    if settings.get("block_unit"):
        extra.append(f"a block per {settings['block_unit']}")
    if settings.get("max_demos"):
        extra.append(f"at most {settings['max_demos']} demonstrations per prompt")
    return f"scoring {settings.get('scoring')}" + (f" ({', '.join(extra)})" if extra else "")


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line every 10 seconds otherwise."""

    def __init__(self, total: int, quiet: bool = False, stream=None):
        self.total = max(total, 1)
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self.last_line = 0.0
        self.drawn = False

    def update(self, event: dict) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        i = int(event.get("iteration") or 0)
        width = 24
        filled = int(width * min(i, self.total) / self.total)
        counts = event.get("label_counts") or {}
        text = (f"[{'#' * filled}{'.' * (width - filled)}] {i}/{self.total}  U {event.get('energy', 0):.2f}  "
                f"labeled {event.get('labeled_count', 0)} ({counts.get('true', 0)} true)  "
                f"tokens {event.get('tokens', 0):,}  {now - self.started:.0f}s")
        if self.tty:
            self.stream.write("\r" + text)
            self.drawn = True
        elif now - self.last_line >= 10 or i >= self.total:
            self.stream.write(text + "\n")
            self.last_line = now
        self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
