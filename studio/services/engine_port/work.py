"""The engine's work as the worker asks for it: an ICM search over a run's examples (with its checkpoint), and
the engine's own baselines (zero-shot, many-shot with given labels) for an evaluation. Imported by workers only:
it loads the engine's search and scorers."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from elicitation import Example, ICMConfig, Problem, SearchState, baselines, run_icm
from elicitation.prompts import PromptBuilder
from elicitation.scoring import CPU_EXACT_LIMIT

from .events import EngineEvent
from .work_problem import problem_of

__all__ = ["CPU_EXACT_LIMIT", "ICMConfig", "PromptBuilder", "checkpoint_iteration", "load_state", "model_len_for",
           "problem_of", "run_search",
           "score_test"]


# A bound on tokens per character for the engine's context limit before any tokenizer is at hand: BPE tokenizers
# give about 4 characters a token on English text; 2 leaves room for code, numbers and other scripts.
MIN_CHARS_PER_TOKEN = 2
MODEL_LEN_STEP = 1024  # rounded up to this, so runs of similar length reuse the loaded engine


def model_len_for(problem: Problem, config: ICMConfig) -> int:
    """A vLLM engine's max_model_len for this search: its longest prompt (the longest demonstrations a prompt
    can hold — max_demos of them, else every other example — then the longest query, each with a label word and
    separator), in tokens at MIN_CHARS_PER_TOKEN, rounded up to MODEL_LEN_STEP."""
    lengths = sorted((len(e.prompt) + 16 for e in problem.examples), reverse=True)
    demos = lengths[1:] if config.max_demos is None else lengths[1:1 + config.max_demos]
    chars = sum(demos) + (lengths[0] if lengths else 0)
    tokens = chars // MIN_CHARS_PER_TOKEN + 64
    return -(-tokens // MODEL_LEN_STEP) * MODEL_LEN_STEP


def load_state(checkpoint: dict | None) -> SearchState | None:
    return SearchState.from_dict(checkpoint) if checkpoint else None


def checkpoint_iteration(checkpoint: dict | None) -> int:
    """The iteration a stored checkpoint reached (0 without one)."""
    return int(SearchState.from_dict(checkpoint).iteration) if checkpoint else 0


def run_search(problem: Problem, config: ICMConfig, backend, *, on_event: Callable[[EngineEvent], None],
               should_stop: Callable[[], bool], state: SearchState | None,
               on_checkpoint: Callable[[SearchState], None], on_progress: Callable[[dict], None] | None = None):
    """run_icm, its progress events handed on as EngineEvent (on_progress: the engine's report after each scoring
    call, {phase, iteration, tokens, seconds}, as it is)."""
    return run_icm(problem, config, backend, on_event=lambda event: on_event(EngineEvent.from_engine(event)),
                   should_stop=should_stop, state=state, on_checkpoint=on_checkpoint, on_progress=on_progress)


def score_test(demos: list[tuple[str, str, bool]], test: list[tuple[str, str]], backend,
               config: ICMConfig) -> tuple[dict[str, float], int]:
    """Test log-odds by the engine's baseline scorer (the one ICM uses): zero-shot without demonstrations,
    else many-shot with these (id, prompt, label) demonstrations. Returns (id → log-odds, model tokens)."""
    test_problem = Problem([Example(i, prompt) for i, prompt in test])
    if not demos:
        result = baselines.zero_shot(test_problem, backend, config)
    else:
        shots = Problem([Example(i, prompt) for i, prompt, _ in demos])
        result = baselines.many_shot(shots, {i: label for i, _, label in demos}, backend, config, test=test_problem)
    return {i: float(result.scores[i]) for i, _ in test}, int(result.summary["tokens"])
