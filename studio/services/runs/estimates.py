"""How long a run will take, said before it starts: model tokens (a cost model of the engine's scoring, below)
divided by the throughput (model tokens per second) measured on earlier finished batches of the same model on
the same kind of worker, or by a conservative default (settings.STUDIO_DEFAULT_TOKENS_PER_SECOND) when there are
none. The run's batches run in parallel on settings.STUDIO_RUN_WORKERS worker processes (the studio cannot see
how many there are, so a deployment says; default 1).

The cost model is an approximation, documented here so its errors can be judged (benchmarks/score_cost.py
measures what one evaluation really costs). For a batch of n examples whose prompts average L tokens (prompt
characters / 4; a demonstration adds its label word and the blank line, about 2 tokens), after t iterations
about k(t) = k0 + (n − k0)(1 − e^(−t/n)) examples are labeled (uniform draws, k0 the initial labels). One
iteration predicts the drawn example's label and, when that differs from its current label (always for an
unlabeled one; counted every time: conservative), evaluates the whole labeled set:

- exact: k prompts of k − 1 demonstrations; the backend walks them with one key/value cache in a stable order,
  which halves the demonstration tokens (measured "about half"): k·(k·(L+2)/2 + L), plus the prediction
  k·(L+2) + L. With max_demos below k, each prompt has its own subset of max_demos demonstrations, counted
  whole (little shared prefix): k·(max_demos·(L+2) + L).
- folds (F folds; the scorer keeps the adopted labeling's contexts and remembers every query's result, so a
  rejected proposal's way back costs nothing): a change recomputes, on average, half of each context that holds
  the changed example — (F−1) contexts of D = k·(F−1)/F demonstrations, or with max_demos K only the share K/D of
  them whose seeded subset holds it, each of min(D, K) demonstrations — and the k/F queries of each such fold:
  2·(F−1)·(min(D,K)/D)·(min(D,K)·(L+2)/2 + (k/F)·L) + L. The 2 counts a second evaluation per iteration, the
  consistency fix's; where rules bind, the larger of 2 and ConsistencyFix's 1 + FIX_EVALUATIONS below (checked against benchmarks/iteration_tokens.py's token-counting stand-in, 4 folds, max_demos
  16: blog-gender 256 examples spent 7.3 M tokens in 3,000 iterations where this model says about 30 M; 256
  iterations over 256 SST-2 sentences 0.37 M where it says about 0.56 M).
- blocks: one block and every query: (L + 2) + k·L.
- any other mode: as exact (the upper bound).
- ConsistencyFix (datasets whose rules bind examples in groups of 2+): each proposal, and the initialization,
  costs 1 + FIX_EVALUATIONS evaluations of the labeled set instead of one (fix_evaluations).

The score cache is ignored (an unchanged prompt costs nothing), so the figure is an upper bound that is
loosest for small batches with many iterations, where the search revisits the same labelings; only for a tiny
batch whose every possible exact prompt fits in the cache (n·3^(n−1) of them: the query and each other example
unlabeled, true or false; n ≤ 6) is the total capped at scoring each of those prompts once. Checked against
the bundled model on SST-2 sentences (6 iterations; chars / 4 was within 3% of the real token counts): exact over
8 sentences spent 4,463 tokens where this model says about 13,000 (most iterations after the first two were
cache hits); folds over 32 spent 5,207 where it says about 6,500. After the
search, fill predicts each example never drawn (the planning's expected number), one prompt each.

Pure arithmetic apart from `measured_throughput`, which reads earlier batches; nothing here speaks HTTP.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db.models import Sum

from studio.models import RunBatch
from studio.services.engine_port.config import score_cache_size

CHARS_PER_TOKEN = 4      # the usual rule of thumb for English text and BPE tokenizers
LABEL_TOKENS = 2         # a demonstration's label word and the blank line after it
MEASURED_BATCHES = 50    # the throughput is taken over at most this many recent finished batches
FOLDS_EVALUATIONS = 2    # candidate evaluations per iteration counted for folds (the proposal and the consistency fix)
STEPS = 2000             # iterations are summed in at most this many slices (the labeled count changes slowly)
FIX_EVALUATIONS = 4      # ConsistencyFix's extra evaluations per proposal, where rules bind (fix_evaluations)


@dataclass(frozen=True)
class BatchShape:
    """What the cost model needs to know about one batch."""

    examples: int
    prompt_tokens: float          # mean tokens of its examples' prompts
    expected_unvisited: float = 0.0  # examples the search is expected never to draw (fill predicts them)
    consistency_groups: bool = False  # consistency rules can bind its examples (groups of 2+): ConsistencyFix runs


@dataclass(frozen=True)
class Throughput:
    tokens_per_second: float
    batches: int                  # earlier batches it was measured on (0: the default)
    worker: str                   # the kind of worker, in words ("hf on cpu")
    unit: str = "batch"           # what `batches` counts: run batches, or evaluations

    @property
    def measured(self) -> bool:
        return self.batches > 0

    def source(self) -> str:
        if self.measured:
            plural = {"batch": "batches", "evaluation": "evaluations"}.get(self.unit, self.unit + "s")
            return (f"measured on {self.batches} earlier {self.unit if self.batches == 1 else plural} of this "
                    f"model ({self.worker})")
        return (f"default, no earlier runs of this model ({self.worker}); set STUDIO_DEFAULT_TOKENS_PER_SECOND "
                "to change it")


@dataclass(frozen=True)
class Estimate:
    seconds: float
    tokens: int
    tokens_per_second: float
    throughput_source: str        # "measured on N earlier batches ..." or "default, no earlier runs ..."
    measured_batches: int
    batches: int
    workers: int
    limit_seconds: float          # above it a person confirms before the run starts
    text: str                     # the sentence a person reads

    @property
    def needs_confirmation(self) -> bool:
        return self.seconds > self.limit_seconds

    def to_dict(self) -> dict:
        return {**asdict(self), "seconds": round(self.seconds, 1), "tokens_per_second":
                round(self.tokens_per_second, 1), "needs_confirmation": self.needs_confirmation}


# --- the cost model ---

def labeled_after(t: float, n: int, k0: int) -> float:
    """Expected labeled examples after t iterations (uniform draws; a drawn example gets labeled)."""
    if n <= 0:
        return 0.0
    return k0 + (n - k0) * (1 - math.exp(-t / n))


def fix_evaluations(shape: BatchShape, config: dict) -> int:
    """Extra full evaluations ConsistencyFix adds to a proposal (and to the initialization): none without rules
    or rounds, else FIX_EVALUATIONS (each inconsistent pair tried costs one evaluation per consistent assignment,
    2 for a comparison pair, and a round may try several pairs). Measured on comparison pairs (80 searches of
    14 to 64 examples, scripted scores, the hf backend's prefix accounting): 1.3 to 5.9 evaluations per
    proposal, mean about 3, and 1 to 5 in the initialization; some are cache hits. With 1 + FIX_EVALUATIONS
    per proposal the tokens of 30 of those searches stayed at or under 0.55 of the estimate; without ConsistencyFix
    in the model they reached 2.3 times it (the issue's run: 69,341 used of 46,511 estimated)."""
    if not shape.consistency_groups or not int(config.get("consistency_fix_rounds", 10) or 0):
        return 0
    return FIX_EVALUATIONS


def iteration_tokens(k: float, prompt_tokens: float, config: dict, evaluations: float = 1) -> float:
    """Model tokens of one iteration with k examples labeled: `evaluations` evaluations of the labeled set and
    one prediction (see the module docstring)."""
    if k <= 0:
        return prompt_tokens
    q, d = prompt_tokens, prompt_tokens + LABEL_TOKENS
    cap = config.get("max_demos")
    mode = config.get("scoring", "exact")
    if mode == "folds":
        f = max(2, int(config.get("folds") or 4))
        share = k * (f - 1) / f
        demos = min(share, cap) if cap else share
        touched = (f - 1) * (demos / share if share else 1.0)  # contexts that hold the changed example
        return max(evaluations, FOLDS_EVALUATIONS) * touched * (demos * d / 2 + k / f * q) + q
    if mode == "blocks":
        return evaluations * (d + k * q) + q
    demos = min(k, cap) if cap else k
    # A capped prompt (k > max_demos) sees its own seeded subset of demonstrations: prompts then share little
    # prefix, so its demonstrations are counted whole, not halved.
    shared = 1.0 if cap and k > cap else 0.5
    return evaluations * k * (demos * d * shared + q) + demos * d + q


def prediction_tokens(n: int, prompt_tokens: float, config: dict) -> float:
    """One prediction with the whole batch labeled (what fill spends on each example never drawn)."""
    q, d = prompt_tokens, prompt_tokens + LABEL_TOKENS
    if config.get("scoring", "exact") in ("folds", "blocks"):
        return q  # on top of contexts already built
    cap = config.get("max_demos")
    return (min(n, cap) if cap else n) * d + q


def batch_tokens(shape: BatchShape, config: dict) -> float:
    """Model tokens of one batch's search (and its fill)."""
    n, iterations = shape.examples, int(config.get("iterations") or 0)
    if n <= 0:
        return 0.0
    k0 = min(int(config.get("initial_labels") or 0), n)
    evaluations = 1 + fix_evaluations(shape, config)
    total = initialization_tokens(shape, config)
    step = max(1, math.ceil(iterations / STEPS))
    for start in range(0, iterations, step):
        width = min(step, iterations - start)
        k = labeled_after(start + width / 2, n, k0)
        total += width * iteration_tokens(k, shape.prompt_tokens, config, evaluations)
    if config.get("fill"):
        total += shape.expected_unvisited * prediction_tokens(n, shape.prompt_tokens, config)
    if config.get("scoring", "exact") not in ("folds", "blocks"):
        prompts = n * 3 ** (n - 1) if n <= 12 else math.inf
        if prompts <= score_cache_size():  # every possible prompt scored once, from scratch
            total = min(total, prompts * (n * (shape.prompt_tokens + LABEL_TOKENS)))
    return total


def makespan(durations: list[float], workers: int) -> float:
    """Wall time of independent batches on `workers` workers, each taking the longest waiting batch next."""
    loads = [0.0] * max(1, workers)
    for d in sorted(durations, reverse=True):
        i = loads.index(min(loads))
        loads[i] += d
    return max(loads) if durations else 0.0


def duration_words(seconds: float) -> str:
    """'under a minute', '12 min', '2 h 5 min', '3 days 4 h'."""
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


def about(seconds: float) -> str:
    """'about 12 min', or 'under a minute'."""
    words = duration_words(seconds)
    return words if seconds < 60 else f"about {words}"


def tokens_words(tokens: float) -> str:
    if tokens >= 1e9:
        return f"{tokens / 1e9:.1f} billion"
    if tokens >= 1e6:
        return f"{tokens / 1e6:.1f} million"
    if tokens >= 1e4:
        return f"{tokens / 1e3:.0f} thousand"
    return f"{tokens:,.0f}"


def estimate(shapes: list[BatchShape], config: dict, throughput: Throughput, *, workers: int,
             limit_seconds: float) -> Estimate:
    """The run's estimate from its batches' shapes, its hyperparameters and a throughput (pure arithmetic)."""
    per_batch = [batch_tokens(s, config) for s in shapes]
    rate = max(throughput.tokens_per_second, 1e-9)
    workers = max(1, int(workers))
    seconds = makespan([t / rate for t in per_batch], workers)
    tokens = sum(per_batch)
    used = min(workers, len(shapes)) or 1
    spread = (f"{len(shapes)} batch{'es' if len(shapes) != 1 else ''} on {used} worker{'s' if used != 1 else ''}"
              + ("" if workers > 1 else " (STUDIO_RUN_WORKERS: raise it when more worker processes serve runs)"))
    text = (f"{about(seconds)}: about {tokens_words(tokens)} model tokens at "
            f"{throughput.tokens_per_second:,.0f} tokens/s ({throughput.source()}); {spread}; model loading "
            "not included")
    return Estimate(seconds=seconds, tokens=int(round(tokens)), tokens_per_second=throughput.tokens_per_second,
                    throughput_source=throughput.source(), measured_batches=throughput.batches,
                    batches=len(shapes), workers=workers, limit_seconds=float(limit_seconds), text=text)


# --- what the settings and earlier runs say ---

def worker_words(backend: str, device: str, base_url: str = "") -> str:
    if backend == "openai":
        return f"openai at {base_url}" if base_url else "openai"
    return f"{backend} on {device}"


def measured_throughput(*, model: str, backend: str, device: str, base_url: str = "") -> Throughput:
    """Tokens per second over the latest finished batches of runs with this model, backend, device (and server,
    for the OpenAI-compatible backend): the same kind of worker. seconds_used excludes the model's load. A
    canceled batch counts: its tokens and seconds were measured like a completed one's."""
    worker = worker_words(backend, device, base_url)
    recent = (RunBatch.objects.filter(state__in=[RunBatch.State.COMPLETED, RunBatch.State.CANCELED],
                                      tokens_used__gt=0, seconds_used__gt=0,
                                      run__model=model, run__backend=backend, run__device=device,
                                      run__base_url=base_url or "")
              .order_by("-finished_at", "-pk").values_list("pk", flat=True)[:MEASURED_BATCHES])
    totals = RunBatch.objects.filter(pk__in=list(recent)).aggregate(tokens=Sum("tokens_used"),
                                                                    seconds=Sum("seconds_used"))
    count = len(recent)
    if count and totals["seconds"]:
        return Throughput(totals["tokens"] / totals["seconds"], count, worker)
    return Throughput(float(settings.STUDIO_DEFAULT_TOKENS_PER_SECOND), 0, worker)


def evaluation_throughput(*, model: str, device: str = "auto") -> Throughput:
    """Tokens per second for an evaluation of this model: measured on its latest finished evaluations (their
    results' tokens and seconds; the seconds include the model's load, so this errs slow), else on its runs'
    batches (measured_throughput), else the default."""
    from studio.models import Evaluation

    rows = (Evaluation.objects.filter(state=Evaluation.State.COMPLETED, config__model=model)
            .order_by("-finished_at", "-pk").values_list("results", flat=True)[:MEASURED_BATCHES])
    tokens = seconds = 0.0
    count = 0
    for results in rows:
        t, s = (results or {}).get("tokens"), (results or {}).get("seconds")
        if isinstance(t, (int, float)) and isinstance(s, (int, float)) and t > 0 and s > 0:
            tokens, seconds, count = tokens + t, seconds + s, count + 1
    if count:
        return Throughput(tokens / seconds, count, f"evaluations, hf on {device}", unit="evaluation")
    return measured_throughput(model=model, backend="hf", device=device)


def estimate_run(shapes: list[BatchShape], config: dict, *, model: str, backend: str, device: str,
                 base_url: str = "") -> Estimate:
    """Estimated duration and tokens of a run about to start (its batches' shapes and its ICMConfig dict)."""
    throughput = measured_throughput(model=model, backend=backend, device=device, base_url=base_url)
    return estimate(shapes, config, throughput, workers=settings.STUDIO_RUN_WORKERS,
                    limit_seconds=settings.STUDIO_CONFIRM_RUN_SECONDS)


def initialization_tokens(shape: BatchShape, config: dict) -> float:
    """Model tokens of a batch's initialization: scoring its initial labels (and their consistency fix)."""
    k0 = min(int(config.get("initial_labels") or 0), shape.examples)
    return iteration_tokens(k0, shape.prompt_tokens, config, 1 + fix_evaluations(shape, config))


def initial_tokens(problem, config: dict) -> float:
    """initialization_tokens for an engine Problem about to be searched (its prompts' characters / 4)."""
    chars = [len(e.prompt) for e in problem.examples]
    if not chars:
        return 0.0
    return initialization_tokens(BatchShape(len(chars), sum(chars) / len(chars) / CHARS_PER_TOKEN,
                                            consistency_groups=binds(problem)), config)


def binds(problem) -> bool:
    """Whether consistency rules can bind two of this Problem's examples (a group of 2 or more, and rules on)."""
    groups = [g for g in problem.group_ids()]
    return getattr(problem, "consistency", "none") != "none" and len(set(groups)) < len(groups)
