"""Model tokens per ICM iteration, against the floor: what the engine's scoring computes, and the least any correct
implementation of the same semantics must (exact counts, machine-independent; nothing is timed).

The model is a STAND-IN (benchmarks/token_standin.py): the bundled SmolLM2's real tokenizer and a runner that
counts every input token but runs no forward pass, answering each query with a fixed, seeded log-odds that depends
only on the prompt's tokens. So the search makes the same decisions whatever the engine caches, and only the
token counts differ.

The floor of an iteration (defined precisely in token_standin.py): the distinct token prefixes of the prompts the
iteration needs (the prediction, every candidate and consistency-fix assignment evaluated: each labeled query on
its fold context) that are not prefixes of the adopted labeling's prompts at the iteration's start — every
distinct (context, query) prefix computed once, with perfect caching within the iteration and the adopted
labeling's contexts and scores kept.

Problems (the studio's CPU defaults for these sizes: scoring folds, 4 folds, calibrate center; at most 16
demonstrations per fold context, the blog-gender study template's max_demos, which SmolLM2's 8,192-token context
needs for blog posts; seed 0):
- SST-2 (studio/presets/sst2/dev.tsv, balanced, file order), n = 64 and 256, preset prompt;
- blog-gender (studio/presets/blog-authorship-gender, paired as the preset builds it, posts cut at the preset's
  600 characters), n = 64 and 256 (32 and 128 pairs), comparison consistency.
Each runs `--iterations` search iterations (default: n); the line per problem gives the engine's tokens per
iteration, the floor's, their ratio (engine total / floor total) and the share spent in the consistency fix.

The gender-study template's ICM: 128 pairs (256 examples), 3,000 iterations, max_demos 16, folds, calibrate
center, fill — its total model tokens (initialization, iterations and fill) through `run_icm`.

    .venv/bin/python benchmarks/iteration_tokens.py [--iterations N] [--study-iterations 3000] [--smoke]

Last line: `iteration_tokens blog64_ratio=… blog256_ratio=… sst256_ratio=… gender_study_tokens=…`.
Targets (issue 24): every ratio <= 1.4; gender_study_tokens <= 8,500,000. `--smoke` (or BENCH_SMOKE=1): the same
code paths at a tiny size in seconds (n = 16, 8 iterations; its numbers mean nothing).
"""
from __future__ import annotations

import argparse
import html
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.token_standin import CountingBackend, FloorMeter, load_tokenizer, seeded_bases  # noqa: E402
from elicitation import Example, ICMConfig, Problem  # noqa: E402
from elicitation.scoring import make_scorer  # noqa: E402
from elicitation.search import Search, new_state, run_icm  # noqa: E402

PRESETS = ROOT / "studio" / "presets"
ENDING = "I think this claim is"
SST2_TEMPLATE = "Sentence: {sentence}\nClaim: The sentiment of this sentence is positive.\n" + ENDING
BLOG_TEMPLATE = ("Post A: {post_a}\nPost B: {post_b}\nClaim: Post A is more likely written by a man than Post B.\n"
                 + ENDING)
BLOG_MAX_CHARS = 600
CUT_MARK = " […]"
MAX_DEMOS = 16
STUDY_PAIRS = 128


def sst2_problem(n: int) -> Problem:
    rows = []
    for line in (PRESETS / "sst2" / "dev.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        sentence, label = line.split("\t")
        rows.append((sentence.rstrip(" "), label == "1"))
    pos = [r for r in rows if r[1]][: n // 2]
    neg = [r for r in rows if not r[1]][: n - n // 2]
    chosen = set(pos) | set(neg)
    picked = [r for r in rows if r in chosen]
    return Problem([Example(f"sst2-{k}", SST2_TEMPLATE.format(sentence=s)) for k, (s, _) in enumerate(picked)],
                   consistency="none")


def _cut(text: str, max_chars: int) -> str:
    """The preset's cut (studio/services/importing/text.py), repeated here so this script needs no Django."""
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    if not text[max_chars].isspace():
        space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
        if space > max_chars // 2:
            head = head[:space]
    return head.rstrip() + CUT_MARK


def blog_problem(n: int) -> Problem:
    """n/2 pairs of the preset, both orders each (group = pair, key = orientation read from the text)."""
    posts = [json.loads(line) for line in
             (PRESETS / "blog-authorship-gender" / "blog_gender_balanced_5000.jsonl").read_text().splitlines()
             if line.strip()]
    women = sorted((p for p in posts if p["gender"] == "female"), key=lambda p: p["sample_id"])
    men = sorted((p for p in posts if p["gender"] == "male"), key=lambda p: p["sample_id"])
    random.Random(2506).shuffle(men)
    examples = []
    for k, (w, m) in enumerate(list(zip(women, men))[: n // 2]):
        texts = [html.unescape(p["text"].replace("\x00", "")).replace("\xa0", " ") for p in (w, m)]
        first, second = sorted(zip(texts, (w["sample_id"], m["sample_id"])))
        for (a, _), (b, _), suffix, key in ((first, second, "ab", "A>B"), (second, first, "ba", "B>A")):
            prompt = BLOG_TEMPLATE.format(post_a=_cut(a, BLOG_MAX_CHARS), post_b=_cut(b, BLOG_MAX_CHARS))
            examples.append(Example(f"pair-{k:04d}-{suffix}", prompt, group=f"pair-{k:04d}", key=key))
    return Problem(examples, consistency="comparison")


def config_for(n: int, iterations: int, **extra) -> ICMConfig:
    return ICMConfig(seed=0, iterations=iterations, scoring="folds", folds=4, max_demos=MAX_DEMOS,
                     calibrate="center", **extra)


def measure(name: str, problem: Problem, tokenizer, iterations: int, **extra) -> dict:
    """Engine and floor tokens over `iterations` search iterations (after initialization)."""
    backend = CountingBackend(tokenizer, seeded_bases(problem, 0), context_length=8192)
    config = config_for(len(problem), iterations, **extra)
    scorer = make_scorer(problem, backend, config)
    scorer.check_context()
    from elicitation.scoring.model_access import prompt_tokens

    backend.scores.set_queries(prompt_tokens(scorer).prompts)
    meter = FloorMeter(scorer)
    search = Search(problem, config, scorer, new_state(problem, config, backend))
    search.initialize()
    fix_tokens = _count_fix_tokens(search)
    engine = floor = 0
    began = time.perf_counter()
    for _ in range(iterations):
        meter.start_iteration(search.labels)
        before = scorer.tokens
        search.step()
        engine += scorer.tokens - before
        floor += meter.end_iteration()
    labels = sum(1 for y in search.labels if y is not None)
    return {"name": name, "n": len(problem), "iterations": iterations, "engine": engine / iterations,
            "floor": floor / iterations, "ratio": engine / floor if floor else float("nan"),
            "fix_share": fix_tokens["tokens"] / engine if engine else 0.0, "labeled": labels,
            "accepted": search.state.accepted, "seconds": time.perf_counter() - began,
            "labels": "".join("-" if y is None else ("T" if y else "F") for y in search.labels)}


def _count_fix_tokens(search) -> dict:
    """Wraps the search's consistency fix to count the tokens spent inside it."""
    import elicitation.search as search_module

    counter = {"tokens": 0}
    original = search_module.consistency_fix

    def counted(*args, **kwargs):
        before = search.scorer.tokens
        try:
            return original(*args, **kwargs)
        finally:
            counter["tokens"] += search.scorer.tokens - before

    search_module.consistency_fix = counted
    return counter


def gender_study_tokens(tokenizer, iterations: int, pairs: int, **extra) -> tuple[int, float]:
    problem = blog_problem(2 * pairs)
    backend = CountingBackend(tokenizer, seeded_bases(problem, 0), context_length=8192)
    config = config_for(len(problem), iterations, fill=True, **extra)
    scorer = make_scorer(problem, backend, config)
    from elicitation.scoring.model_access import prompt_tokens

    backend.scores.set_queries(prompt_tokens(scorer).prompts)
    began = time.perf_counter()
    result = run_icm(problem, config, backend, scorer=scorer)
    return result.summary["tokens"] + result.summary.get("fill_tokens", 0), time.perf_counter() - began


def _digest(text: str) -> str:
    """A short digest of the final labels: equal digests before and after a caching change = same decisions."""
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:10]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=None, help="search iterations per problem (default n)")
    parser.add_argument("--study-iterations", type=int, default=3000)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds (BENCH_SMOKE=1 also)")
    parser.add_argument("--fix-strategy", choices=("local", "rescan"), default=None,
                        help="ICMConfig.fix_strategy (default: the engine's default)")
    parser.add_argument("--only", choices=("sst64", "sst256", "blog64", "blog256", "study"), action="append")
    args = parser.parse_args(argv)
    smoke = args.smoke or os.environ.get("BENCH_SMOKE") == "1"
    tokenizer = load_tokenizer()
    sizes = {"sst64": 64, "sst256": 256, "blog64": 64, "blog256": 256}
    if smoke:
        sizes = {k: 16 for k in sizes}
    extra = {"fix_strategy": args.fix_strategy} if args.fix_strategy else {}
    ratios = {}
    for key, n in sizes.items():
        if args.only and key not in args.only:
            continue
        problem = sst2_problem(n) if key.startswith("sst") else blog_problem(n)
        iterations = 8 if smoke else (args.iterations or n)
        r = measure(key, problem, tokenizer, iterations, **extra)
        ratios[key] = r["ratio"]
        print(f"iteration_tokens problem={key} n={r['n']} iterations={r['iterations']} "
              f"engine_tokens_per_iteration={r['engine']:.0f} floor_tokens_per_iteration={r['floor']:.0f} "
              f"ratio={r['ratio']:.3f} fix_share={r['fix_share']:.2f} labeled={r['labeled']} "
              f"accepted={r['accepted']} labels_digest={_digest(r['labels'])} seconds={r['seconds']:.1f}", flush=True)
    study = None
    if not args.only or "study" in args.only:
        iterations, pairs = (8, 8) if smoke else (args.study_iterations, STUDY_PAIRS)
        study, seconds = gender_study_tokens(tokenizer, iterations, pairs, **extra)
        print(f"iteration_tokens gender_study pairs={pairs} iterations={iterations} tokens={study} "
              f"seconds={seconds:.1f}", flush=True)

    def show(key):
        return f"{ratios[key]:.3f}" if key in ratios else "na"

    print(f"iteration_tokens blog64_ratio={show('blog64')} blog256_ratio={show('blog256')} "
          f"sst256_ratio={show('sst256')} sst64_ratio={show('sst64')} "
          f"gender_study_tokens={study if study is not None else 'na'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
