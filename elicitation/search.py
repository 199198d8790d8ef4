"""Algorithm 1: simulated annealing over labels, maximizing U(D) = α·P(D) − I(D).

Every random draw comes from one `random.Random(seed)` whose state is saved in each checkpoint, and the
score cache is saved with it, so a run resumed from any checkpoint makes the same decisions as one that was
never stopped.
"""
from __future__ import annotations

import random
import time
from typing import Callable

from .annealing import accept, sample_example, temperature
from .config import ICMConfig
from .consistency import Rules
from .consistency_fix import consistency_fix
from .coverage import coverage
from .energy import Energy, energy
from .errors import InputError, ScoringInterrupted
from .fingerprint import check_model, model_identity
from .problem import Problem
from .result import ICMResult, balance, label_counts
from .scoring import Scorer, make_scorer
from .state import SearchState, rng_from_json, rng_to_json

# Config fields a resumed run may change: they do not alter the decisions made so far.
RESUMABLE_CHANGES = {"iterations", "checkpoint_every", "fill"}


class SearchStopped(Exception):
    """should_stop() returned true between two scoring calls: the initialization or iteration in progress is
    abandoned (its random draws undone), so the state stays at the last whole step."""


class Search:
    def __init__(self, problem: Problem, config: ICMConfig, scorer: Scorer, state: SearchState):
        self.problem = problem
        self.config = config
        self.scorer = scorer
        self.rules = Rules(problem)
        self.groups = problem.group_ids()
        self.ids = [e.id for e in problem.examples]
        self.state = state
        self.labels: list[bool | None] = [state.labels.get(str(i)) for i in self.ids]
        self.rng = rng_from_json(state.rng) if state.rng else random.Random(config.seed)
        self.raw: dict[int, float] = {problem.position(k): v for k, v in state.scores.items()}
        self.zero: set[int] = {problem.position(k) for k in state.zero_scores}
        self.current: Energy | None = None
        if state.initialized:
            self.current = energy(self.labels, self.raw, state.inconsistencies, alpha=config.alpha,
                                  score=config.score, calibrate=config.calibrate)
        self.tokens_before = state.tokens
        self.seconds_before = state.seconds
        self.started = time.monotonic()
        # Set by run_icm: a report after every scoring call, and the cancel check made there.
        self.on_progress: Callable[[dict], None] | None = None
        self.should_stop: Callable[[], bool] | None = None
        self.phase = "search" if state.initialized else "initial"
        self.adopting = False

    # --- scoring ---

    def evaluate(self, labels: list) -> Energy:
        return self._evaluate(labels)[0]

    def _evaluate(self, labels: list, check: bool = True) -> tuple[Energy, dict[int, float], set[int]]:
        results = self.scorer.evaluate(labels)
        if check:
            self.scored()
        raw = {i: r.log_odds for i, r in results.items()}
        e = energy(labels, raw, self.rules.count(labels), alpha=self.config.alpha, score=self.config.score,
                   calibrate=self.config.calibrate)
        return e, raw, {i for i, r in results.items() if not r.found}

    def _adopt(self, labels: list) -> None:
        """Make `labels` current, with their scores (cached: they were just evaluated)."""
        self.adopting = True  # never interrupted half-adopted (labels new, energy old)
        try:
            self.labels = list(labels)
            self.current, self.raw, self.zero = self._evaluate(self.labels, check=False)  # cache hits: no stop here
            self.scorer.adopt(self.labels)
        finally:
            self.adopting = False

    def scored(self) -> None:
        """After a scoring call: report the tokens and seconds so far, then stop here if asked to."""
        if self.on_progress is not None:
            self.on_progress({"phase": self.phase, "iteration": self.state.iteration,
                              "tokens": self.tokens_before + self.scorer.tokens,
                              "seconds": self.seconds_before + (time.monotonic() - self.started)})
        if self.should_stop is not None and self.should_stop():
            raise SearchStopped()

    def attempt(self, work: Callable[[], object]) -> tuple[object, bool]:
        """(work's value, False), or (None, True) when a stop came between its scoring calls; its random draws
        are then undone (a resume replays it), its labels were never adopted."""
        rng = self.rng.getstate()
        try:
            return work(), False
        except (SearchStopped, ScoringInterrupted) as stop:
            # an abandoned batch's finished model calls were spent: they count (the run's tokens, the estimate)
            self.scorer.tokens += getattr(stop, "tokens", 0)
            self.rng.setstate(rng)
            return None, True

    # --- Algorithm 1 ---

    def initialize(self) -> None:
        n = len(self.labels)
        k = min(self.config.initial_labels, n)
        chosen = self.rng.sample(range(n), k)
        init = [True] * (k // 2) + [False] * (k - k // 2)
        self.rng.shuffle(init)
        labels: list[bool | None] = [None] * n
        for i, y in zip(chosen, init):
            labels[i] = y
        first = self.evaluate(labels)
        fixed, _ = consistency_fix(labels, first, rules=self.rules, evaluate=self.evaluate,
                                   rounds=self.config.consistency_fix_rounds, rng=self.rng)
        self._adopt(fixed)
        self.state.initialized = True

    def step(self) -> dict:
        """One iteration; returns its event."""
        cfg = self.config
        iteration = self.state.iteration  # 0-based number of this iteration
        temp = temperature(cfg.schedule, t0=cfg.t0, t_min=cfg.t_min, beta=cfg.beta, iteration=iteration,
                           accepted_flips=self.state.accepted_flips)
        index = sample_example(self.labels, self.groups, self.rng)
        predicted = self.scorer.predict(index, self.labels).log_odds - self.current.offset
        self.scored()
        new_label = predicted > 0
        accepted, flips, proposed_energy = False, [], None
        if self.labels[index] != new_label:
            candidate = list(self.labels)
            candidate[index] = new_label
            candidate, e = self._fix(candidate, index)
            proposed_energy = e.value
            self.state.proposals += 1
            if accept(e.value - self.current.value, temp, self.rng):
                accepted = True
                flips = [i for i in range(len(candidate)) if candidate[i] != self.labels[i]]
                self._adopt(candidate)
                self.state.accepted += 1
                if flips:
                    self.state.accepted_flips += 1
        self.state.iteration = iteration + 1
        self._sync_state()
        counts = label_counts(self.labels)
        return {
            "iteration": self.state.iteration,
            "energy": self.current.value,
            "accepted": accepted,
            "accepted_flips": self.state.accepted_flips,
            "flips": [self.ids[i] for i in flips],
            "changes": {str(self.ids[i]): self.labels[i] for i in flips},
            "inconsistencies": self.current.inconsistencies,
            "labeled_count": counts["true"] + counts["false"],
            "label_counts": {"true": counts["true"], "false": counts["false"]},
            "tokens": self.state.tokens,
            "temperature": temp,
            "example": self.ids[index],
            "predicted_log_odds": predicted,
            "proposed_energy": proposed_energy,
        }

    def _fix(self, candidate: list, index: int) -> tuple[list, Energy]:
        """The proposal `candidate` (example `index` changed) after ConsistencyFix, and its energy."""
        cfg = self.config
        if cfg.fix_strategy == "local":
            breaks = any(p.i == index or p.j == index for p in self.rules.violations(candidate))
            if not breaks:
                return candidate, self.evaluate(candidate)
            return consistency_fix(candidate, None, rules=self.rules, evaluate=self.evaluate,
                                   rounds=cfg.consistency_fix_rounds, rng=self.rng, changed={index})
        e = self.evaluate(candidate)
        return consistency_fix(candidate, e, rules=self.rules, evaluate=self.evaluate,
                               rounds=cfg.consistency_fix_rounds, rng=self.rng)

    def initial_event(self) -> dict:
        counts = label_counts(self.labels)
        return {
            "iteration": 0, "energy": self.current.value, "accepted": False,
            "accepted_flips": self.state.accepted_flips, "flips": [], "changes": {},
            "labels": {str(self.ids[i]): y for i, y in enumerate(self.labels) if y is not None},
            "inconsistencies": self.current.inconsistencies,
            "labeled_count": counts["true"] + counts["false"],
            "label_counts": {"true": counts["true"], "false": counts["false"]},
            "tokens": self.state.tokens, "temperature": None,
        }

    # --- state ---

    def _sync_state(self) -> None:
        s = self.state
        s.labels = {str(i): y for i, y in zip(self.ids, self.labels)}
        s.scores = {str(self.ids[i]): v for i, v in self.raw.items()}
        s.zero_scores = [str(self.ids[i]) for i in sorted(self.zero)]
        s.energy = self.current.value if self.current else None
        s.inconsistencies = self.current.inconsistencies if self.current else 0
        s.tokens = self.tokens_before + self.scorer.tokens
        s.seconds = self.seconds_before + (time.monotonic() - self.started)
        s.rng = rng_to_json(self.rng)
        s.score_cache = self.scorer.cache.to_json()

    def snapshot(self) -> SearchState:
        self._sync_state()
        return SearchState.from_dict(_copy(self.state.to_dict()))

    def result(self, stopped: bool, backend_name: str) -> ICMResult:
        state = self.snapshot()
        labels = {i: y for i, y in zip(self.ids, self.labels)}
        offset = self.current.offset if self.current else 0.0
        raw = {self.ids[i]: self.raw.get(i) for i in range(len(self.ids))}
        scores = {k: (None if v is None else v - offset) for k, v in raw.items()}
        counts = label_counts(labels)
        final_zero = len(self.zero)
        summary = {
            "examples": len(self.ids),
            "unlabeled": counts["unlabeled"],  # left unlabeled by the search (before any fill)
            "filled": 0,
            "coverage": coverage(self.problem, self.config.iterations, self.config.initial_labels).to_dict(),
            "iterations": state.iteration,
            "iterations_planned": self.config.iterations,
            "stopped": stopped,
            "proposals": state.proposals,
            "accepted": state.accepted,
            "accepted_flips": state.accepted_flips,
            "acceptance_rate": (state.accepted / state.proposals) if state.proposals else None,
            "energy": state.energy,
            "predictability": self.current.predictability if self.current else None,
            "inconsistencies": state.inconsistencies,
            "tokens": state.tokens,
            "seconds": round(state.seconds, 3),
            "label_counts": counts,
            **balance(counts),
            "zero_scores": final_zero,
            "zero_scores_seen": self.scorer.zero_scores,
            "calibrate": self.config.calibrate,
            "calibration_offset": offset,
            "score": self.config.score,
            "schedule": self.config.schedule,
            "scoring": self.scorer.mode,
            "scoring_settings": self.scorer.settings(),
            "model": backend_name,
            "model_fingerprint": state.model.get("fingerprint"),
            "seed": self.config.seed,
        }
        return ICMResult(labels=labels, scores=scores, state=state, summary=summary, stopped=stopped, raw_scores=raw)

    def fill(self, result: ICMResult) -> None:
        """Label every example the search left unlabeled by the model's prediction given the final labeled set
        (the rule a proposal uses: calibrated log-odds > 0), in one scoring pass. The search state is left as
        it was: filled labels are an output, not a step of the search."""
        missing = [i for i, y in enumerate(self.labels) if y is None]
        if not missing:
            return
        tokens_before = self.scorer.tokens
        self.phase = "fill"
        if self.on_progress is not None:
            self.on_progress({"phase": "fill", "iteration": self.state.iteration,
                              "tokens": self.tokens_before + self.scorer.tokens,
                              "seconds": self.seconds_before + (time.monotonic() - self.started)})
        predicted = self.scorer.predict_many(missing, self.labels)
        offset = self.current.offset if self.current else 0.0
        final = list(self.labels)
        for i in missing:
            raw = predicted[i].log_odds
            example_id = self.ids[i]
            result.raw_scores[example_id] = raw
            result.scores[example_id] = raw - offset
            result.labels[example_id] = final[i] = (raw - offset) > 0
            result.filled.add(example_id)
        counts = label_counts(result.labels)
        result.summary.update({
            "filled": len(missing), "label_counts": counts, **balance(counts),
            "inconsistencies_after_fill": self.rules.count(final),
            "fill_tokens": self.scorer.tokens - tokens_before,
        })


def _copy(data):
    import json

    return json.loads(json.dumps(data))


def new_state(problem: Problem, config: ICMConfig, backend=None) -> SearchState:
    return SearchState(labels={str(e.id): None for e in problem.examples}, problem=problem.fingerprint(),
                       config=config.to_dict(), model=model_identity(backend) if backend is not None else {})


def check_resumable(state: SearchState, problem: Problem, config: ICMConfig) -> None:
    if state.problem != problem.fingerprint():
        raise InputError("the checkpoint belongs to a different problem (its examples, prompts, groups, keys or "
                         "consistency mode differ)")
    # A field added to ICMConfig after the checkpoint was written had its default then.
    theirs, ours = {**ICMConfig().to_dict(), **state.config}, config.to_dict()
    diffs = [f"{k}: checkpoint {theirs.get(k)!r}, now {ours.get(k)!r}" for k in sorted(set(theirs) | set(ours))
             if k not in RESUMABLE_CHANGES and theirs.get(k) != ours.get(k)]
    if diffs:
        raise InputError("the checkpoint was made with another config (" + "; ".join(diffs) + ")")
    if set(state.labels) != {str(e.id) for e in problem.examples}:
        raise InputError("the checkpoint's example ids differ from the problem's")


def run_icm(problem: Problem, config: ICMConfig, backend, *, on_event: Callable[[dict], None] | None = None,
            should_stop: Callable[[], bool] | None = None, state: SearchState | None = None,
            on_checkpoint: Callable[[SearchState], None] | None = None, scorer: Scorer | None = None,
            on_progress: Callable[[dict], None] | None = None) -> ICMResult:
    """Search labels for `problem`. Resumes from `state` when given (same problem, config and model;
    `iterations` and `fill` may change). With config.fill, examples the search left unlabeled are labeled
    afterwards by prediction (result.filled). Calls on_event after every iteration, on_checkpoint every config.checkpoint_every iterations
    and at exit, and on_progress ({"phase": "initial" | "search" | "fill", "iteration", "tokens", "seconds"}) after
    every scoring call. should_stop() is asked after every scoring call and between iterations; once it returns
    true the search stops (result.stopped), dropping the unfinished step."""
    if not isinstance(problem, Problem):
        raise InputError(f"problem must be a Problem, got {type(problem).__name__}")
    if not isinstance(config, ICMConfig):
        raise InputError(f"config must be an ICMConfig, got {type(config).__name__}")
    if state is None:
        state = new_state(problem, config, backend)
    else:
        if isinstance(state, dict):
            state = SearchState.from_dict(state)
        state = SearchState.from_dict(_copy(state.to_dict()))  # never mutate the caller's object
        check_resumable(state, problem, config)
        check_model(state.model, backend)
        state.config = config.to_dict()
        state.model = model_identity(backend)
    scorer = scorer or make_scorer(problem, backend, config)
    scorer.check_context()
    if state.score_cache:
        scorer.cache.load_json(state.score_cache)
    search = Search(problem, config, scorer, state)
    emit = on_event or (lambda ev: None)
    stop = should_stop or (lambda: False)
    search.last_checkpoint = state.iteration if state.initialized else None

    search.on_progress, search.should_stop = on_progress, stop
    # a backend that makes several model calls per batch asks `stop` between them too (ScoringInterrupted):
    # a cancel then waits one model call, not one scoring call; only around the search (never fill, results)
    interruptible = should_stop is not None and hasattr(backend, "interrupt")
    if interruptible:
        backend.interrupt = lambda: not search.adopting and stop()
    try:
        stopped = _search(search, config, state, emit, stop, on_progress, on_checkpoint)
    finally:
        if interruptible:
            backend.interrupt = None
    result = search.result(stopped, getattr(backend, "name", type(backend).__name__))
    if on_checkpoint and search.last_checkpoint != result.state.iteration:
        on_checkpoint(result.state)
    if config.fill and not stopped:
        search.fill(result)
    return result


def _search(search: Search, config: ICMConfig, state: SearchState, emit, stop, on_progress, on_checkpoint) -> bool:
    """The initialization (unless resumed past it) and the iterations; returns whether a stop came."""
    stopped = False
    if not state.initialized:
        if on_progress is not None:
            on_progress({"phase": "initial", "iteration": 0, "tokens": state.tokens, "seconds": state.seconds})
        _, stopped = search.attempt(search.initialize)
        if not stopped:
            search.phase = "search"
            search._sync_state()
            emit(search.initial_event())

    while not stopped and search.state.iteration < config.iterations:
        if stop():
            stopped = True
            break
        event, stopped = search.attempt(search.step)
        if stopped:
            break
        emit(event)
        if on_checkpoint and search.state.iteration % config.checkpoint_every == 0:
            on_checkpoint(search.snapshot())
            search.last_checkpoint = search.state.iteration
    return stopped
