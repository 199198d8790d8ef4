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
import warnings
from pathlib import Path

from . import baselines, models
from .batches import batch_problem, batch_seed, describe, partition
from .config import CALIBRATIONS, SCHEDULES, SCORES, ICMConfig
from .consistency_fix import FIX_STRATEGIES
from .coverage import coverage
from .errors import BackendError, ElicitationError
from .fingerprint import CheckpointWarning, check_model
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
    label.add_argument("--fix-strategy", choices=FIX_STRATEGIES,
                       help="ConsistencyFix: rescan (default; the proposal is scored, then every violated pair is "
                            "tried each round) or local (a proposal that breaks a rule goes straight to the fix, "
                            "which tries only pairs of the changed examples: fewer tokens)")
    label.add_argument("--max-demos", type=int,
                       help="at most K demonstrations per prompt, a fixed seeded subset (for prompts that would "
                            "not fit the model's context)")
    label.add_argument("--checkpoint", help="save the search state here every --checkpoint-every iterations "
                                            "and at exit")
    label.add_argument("--checkpoint-every", type=int)
    label.add_argument("--resume", help="continue from a checkpoint (same input, options and model)")
    label.add_argument("--fill", action="store_true",
                       help="after the search, label the examples it left unlabeled by the model's prediction with "
                            "the final labels as demonstrations (output lines say \"kind\": \"filled\")")
    label.add_argument("--batch-size", type=int,
                       help="whole-split mode: cut the input into batches of about N examples made of whole "
                            "consistency groups and search each on its own (seed derived per batch; checkpoint "
                            "CK.batch-I.json per batch), writing one merged output")
    label.add_argument("--batch", type=int, metavar="I",
                       help="with --batch-size: run only batch I (0-based) and write just its labels")
    label.add_argument("--list-batches", action="store_true",
                       help="with --batch-size: print the partition as JSON lines (index, size, groups, seed) "
                            "and exit, without loading a model")

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
                 "max_demos", "fix_strategy"):
        value = getattr(args, name, None)
        if value is not None:
            values[name] = value
    if args.label_words:
        values["label_words"] = list(args.label_words)
    if getattr(args, "fill", False):
        values["fill"] = True
    return ICMConfig.from_dict(values)


def _calibration_note(args, config: ICMConfig) -> None:
    if (args.model or models.default_model()) in models.BUNDLED and config.calibrate == "none" and not args.quiet:
        print("note: calibrate=none with the bundled model: its log-odds lean to one label, and uncalibrated runs "
              "tend to collapse to a constant labeling; --calibrate center avoids that", file=sys.stderr)


def _backend(args):
    from .backends import load_backend

    return load_backend(model=args.model, kind=args.backend, device=args.device, base_url=args.base_url)


def _read_json(path: str, option: str = "--resume"):
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ElicitationError(f"{option} {path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise ElicitationError(f"{option} {path}: not valid JSON ({exc.msg})") from None


def _auto_scoring(args, base: dict, backend, config: ICMConfig, size: int) -> ICMConfig:
    if (args.scoring is None and "scoring" not in base and getattr(backend, "device", None) == "cpu"
            and size > CPU_EXACT_LIMIT):
        config = config.replace(scoring="folds")
        print(f"note: scoring=folds: a CPU run over {size} examples (> {CPU_EXACT_LIMIT}); exact scoring "
              "costs O(n^2) tokens per evaluation. --scoring exact asks for it anyway", file=sys.stderr)
    return config


class _Warnings:
    """Engine warnings (an old checkpoint without its model) printed once each as 'warning: ...'."""

    def __init__(self):
        self.seen: set[str] = set()
        self._ctx = warnings.catch_warnings()

    def __enter__(self):
        self._ctx.__enter__()
        warnings.simplefilter("always", CheckpointWarning)
        warnings.showwarning = self.show
        return self

    def show(self, message, category, *args, **kwargs):
        text = str(message)
        if text not in self.seen:
            self.seen.add(text)
            print(f"warning: {text}", file=sys.stderr)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def _coverage_warning(problems: list, iterations: int, initial_labels: int) -> None:
    worst = max((coverage(p, iterations, initial_labels) for p in problems), key=lambda c: c.needed - c.iterations)
    text = worst.warning()
    if text:
        where = "the largest batch: " if len(problems) > 1 else ""
        print(f"warning: {where}{text}; --iterations {worst.needed} or --fill", file=sys.stderr)


def cmd_label(args) -> int:
    rows = read_rows(args.input)
    problem = _problem(args.input, rows, args.consistency)
    loaded = _read_json(args.resume) if args.resume else None
    if args.batch_size is not None or args.batch is not None or args.list_batches or is_batch_manifest(loaded):
        with _Warnings():
            return cmd_label_batches(args, problem, loaded)
    state = None
    base = {}
    if loaded is not None:
        state = SearchState.from_dict(loaded)
        base = dict(state.config)
    config = _config(args, base)
    _calibration_note(args, config)
    if state is None or state.iteration < config.iterations:
        _coverage_warning([problem], config.iterations, config.initial_labels)
    backend = _backend(args)
    config = _auto_scoring(args, base, backend, config, len(problem))
    with _Warnings(), _StopOnCtrlC() as stop:
        result = _search(args, problem, config, backend, state, args.checkpoint, stop)
    print(format_summary(result.summary), file=sys.stderr)
    if result.stopped:
        where = f"; resume with --resume {args.checkpoint}" if args.checkpoint else ""
        print(f"stopped at iteration {result.state.iteration}{where} (no output written)", file=sys.stderr)
        return EXIT_STOPPED
    ids = [e.id for e in problem.examples]
    write_labels(args.out, ids, result.labels, result.scores, extra={i: {"kind": result.kind(i)} for i in ids})
    return 0


# --- whole-split mode: batches of whole consistency groups ---

MANIFEST_KIND = "icm-batch-run"


def is_batch_manifest(data) -> bool:
    return isinstance(data, dict) and data.get("kind") == MANIFEST_KIND


def batch_checkpoint(path: str, index: int) -> Path:
    """Batch I's checkpoint beside CK: run.json → run.batch-I.json (any other name gets .batch-I.json added)."""
    p = Path(path)
    stem = p.name[:-5] if p.name.endswith(".json") else p.name
    return p.with_name(f"{stem}.batch-{index}.json")


def cmd_label_batches(args, problem: Problem, manifest) -> int:
    base, batch_size = {}, args.batch_size
    if manifest is not None:
        if not is_batch_manifest(manifest):
            raise ElicitationError(f"--resume {args.resume} is a single-run checkpoint; resume it without "
                                   "--batch-size / --batch")
        base, batch_size = dict(manifest.get("config") or {}), manifest.get("batch_size")
        if args.batch_size is not None and args.batch_size != batch_size:
            raise ElicitationError(f"--batch-size {args.batch_size}: the checkpoint's run used --batch-size "
                                   f"{batch_size}")
        if manifest.get("problem") != problem.fingerprint():
            raise ElicitationError("the checkpoint belongs to a different problem (its examples, prompts, groups, "
                                   "keys or consistency mode differ)")
    if batch_size is None:
        raise ElicitationError("--batch and --list-batches need --batch-size N")
    config = _config(args, base)
    parts = partition(problem, batch_size, config.seed)
    if args.list_batches:
        for row in describe(problem, parts):
            print(json.dumps(row.to_dict()))
        return 0
    if parts.warning():
        print(f"warning: {parts.warning()}", file=sys.stderr)
    if args.batch is not None and not 0 <= args.batch < len(parts):
        raise ElicitationError(f"--batch {args.batch}: the partition has batches 0 to {len(parts) - 1}")
    indices = [args.batch] if args.batch is not None else list(range(len(parts)))
    problems = {i: batch_problem(problem, parts[i]) for i in indices}
    states: dict[int, SearchState] = {}
    if args.resume:
        for i in indices:
            path = batch_checkpoint(args.resume, i)
            if path.exists():
                states[i] = SearchState.from_dict(_read_json(str(path)))
        if not states:
            raise ElicitationError(f"--resume {args.resume}: none of its batch checkpoints "
                                   f"({batch_checkpoint(args.resume, indices[0]).name}, ...) exist")
    _calibration_note(args, config)
    _coverage_warning(list(problems.values()), config.iterations, config.initial_labels)
    backend = _backend(args)
    config = _auto_scoring(args, base, backend, config, max(len(p) for p in problems.values()))
    from .search import check_resumable

    for i, st in states.items():  # refuse before any batch runs, not halfway through
        check_resumable(st, problems[i], config.replace(seed=batch_seed(config.seed, i)))
        check_model(st.model, backend)
    if args.checkpoint:
        write_atomic(args.checkpoint, json.dumps({"kind": MANIFEST_KIND, "version": 1, "batch_size": batch_size,
                                                  "problem": problem.fingerprint(), "config": config.to_dict(),
                                                  "batches": len(parts)}))
    labels, scores, extra = {}, {}, {}
    with _StopOnCtrlC() as stop:  # Ctrl-C stops the batch under way; the ones before it keep their checkpoints
        for i in indices:
            sub = problems[i]
            if not args.quiet:
                print(f"batch {i} of {len(parts)} ({len(sub)} examples):", file=sys.stderr)
            ck = str(batch_checkpoint(args.checkpoint, i)) if args.checkpoint else None
            result = _search(args, sub, config.replace(seed=batch_seed(config.seed, i)), backend, states.get(i), ck,
                             stop)
            print(format_summary(result.summary), file=sys.stderr)
            if result.stopped:
                where = f"; resume with --resume {args.checkpoint}" if args.checkpoint else ""
                print(f"stopped in batch {i} at iteration {result.state.iteration}{where} (no output written)",
                      file=sys.stderr)
                return EXIT_STOPPED
            for e in sub.examples:
                labels[e.id], scores[e.id] = result.labels[e.id], result.scores[e.id]
                extra[e.id] = {"kind": result.kind(e.id), "batch": i}
    ids = [e.id for e in problem.examples if e.id in labels]
    write_labels(args.out, ids, labels, scores, extra=extra)
    counts = {k: sum(1 for i in ids if labels[i] is v) for k, v in (("true", True), ("false", False), ("none", None))}
    filled = sum(1 for i in ids if extra[i]["kind"] == "filled")
    print(f"{len(indices)} batch(es), {len(ids)} examples: {counts['true']} true / {counts['false']} false / "
          f"{counts['none']} unlabeled ({filled} filled)", file=sys.stderr)
    return 0


class _StopOnCtrlC:
    """While active, Ctrl-C sets `.flag` (the search stops between iterations) instead of raising."""

    def __init__(self):
        self.flag = False

    def __enter__(self):
        self.previous = signal.signal(signal.SIGINT, self._on_signal)
        return self

    def _on_signal(self, signum, frame):
        self.flag = True

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self.previous)


def _search(args, problem: Problem, config: ICMConfig, backend, state, checkpoint: str | None,
            stop: _StopOnCtrlC):
    """One search with a progress bar, stopping once stop.flag is set, checkpoints written to `checkpoint`."""
    progress = Progress(config.iterations, quiet=args.quiet)

    def on_checkpoint(st: SearchState) -> None:
        if checkpoint:
            write_atomic(checkpoint, json.dumps(st.to_dict()))

    from .search import run_icm

    try:
        result = run_icm(problem, config, backend, on_event=progress.update, should_stop=lambda: stop.flag,
                         state=state, on_checkpoint=on_checkpoint)
    finally:
        progress.close()
    return result


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
    if s.get("filled"):
        lines.append(f"filled {s['filled']} example(s) the search left unlabeled (the model's prediction with the "
                     f"final labels as demonstrations; inconsistencies after fill {s.get('inconsistencies_after_fill')})")
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
