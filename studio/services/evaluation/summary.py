"""An evaluation's numbers from its scored predictions and the test items' gold, or an adjudication's expert
answers where there is no gold (read after scoring — gold never reaches the engine except as the gold condition's
demonstrations): each condition's mean ± sd over
repeats with a bootstrap interval over items, every pair of conditions compared on the same items (paired
bootstrap difference, McNemar's exact p), the verdict sentence, and gap recovered."""
from __future__ import annotations

import itertools

import numpy as np

from studio.services import metrics, paired_stats

WEAK_ORDER = ("people", "crowd", "zero-shot")  # what the headline compares ICM's labels with, first present


def phrase(condition: dict) -> str:
    """A condition's name inside a sentence."""
    kind = condition["kind"]
    if condition.get("measure") == "trained":
        source = {"random": "random labels", "people": "the people's labels", "crowd": "the crowd votes' labels",
                  "gold": "gold labels", "icm": f"ICM run {condition.get('run_id')}'s labels"}.get(kind, kind)
        if kind == "icm" and str(condition.get("source", "")).endswith(":filled"):
            source = f"ICM run {condition.get('run_id')}'s elicited + filled labels"
        what = {"probe": "a probe", "finetune": "a LoRA finetune"}.get(condition.get("trainer"), "a model")
        if condition.get("reward_model"):
            what = f"a reward model ({condition.get('trainer', 'probe')})"
        return f"{what} trained on {source}"
    return {
        "zero-shot": "zero-shot prompting",
        "zero-shot-chat": "zero-shot chat prompting",
        "random": "random labels",
        "people": "the people's labels",
        "crowd": "the crowd votes' labels",
        "gold": "gold labels",
        "icm": f"ICM run {condition.get('run_id')}'s labels",
        "model": f"{condition.get('model')} zero-shot",
    }.get(kind, condition["name"])


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def sentence(a: dict, b: dict, cmp: dict, items: str = "test items") -> str:
    """'ICM run 3's labels beat the people's labels by 12.0 points (95% CI 4.1 to 19.8; p = 0.004) on 200 test
    items', or 'no detectable difference' when the interval spans 0. The interval is stated in the sentence's
    own direction (how much A beats, or trails, B)."""
    def pts(x: float) -> str:
        value = round(100 * x, 1) + 0.0  # + 0.0: no "−0.0"
        return f"{value:.1f}".replace("-", "−")

    first = phrase(a)
    first = first[0].upper() + first[1:]
    plural = first.endswith("labels") and a.get("measure") != "trained"
    n = f"on {cmp['n']} {items}"
    if cmp["ci_low"] > 0:
        return (f"{first} {'beat' if plural else 'beats'} {phrase(b)} by {pts(cmp['diff'])} points (95% CI "
                f"{pts(cmp['ci_low'])} to {pts(cmp['ci_high'])}; {_p(cmp['p'])}) {n}.")
    if cmp["ci_high"] < 0:
        return (f"{first} {'trail' if plural else 'trails'} {phrase(b)} by {pts(-cmp['diff'])} points (95% CI "
                f"{pts(-cmp['ci_high'])} to {pts(-cmp['ci_low'])}; {_p(cmp['p'])}) {n}.")
    sign = "+" if round(100 * cmp["diff"], 1) > 0 else ""
    return (f"No detectable difference between {phrase(a)} and {phrase(b)}: {sign}{pts(cmp['diff'])} points "
            f"(95% CI {pts(cmp['ci_low'])} to {pts(cmp['ci_high'])}; {_p(cmp['p'])}) {n}.")


def _headline(conditions: list[dict]) -> tuple[dict, dict] | None:
    by_kind = {}
    for c in conditions:
        by_kind.setdefault(c["kind"], []).append(c)
    icm = sorted(by_kind.get("icm", []), key=lambda c: -(c["mean"] or 0))
    weak = next((by_kind[k][0] for k in WEAK_ORDER if by_kind.get(k)), None)
    if icm and weak:
        return icm[0], weak
    humans = by_kind.get("people") or by_kind.get("crowd")
    if humans and by_kind.get("zero-shot"):
        return humans[0], by_kind["zero-shot"][0]
    return None


def summarize(conditions: list[dict], correct: dict[str, list[list[bool]]], *, seed: int,
              scored_on: str = "test items") -> dict:
    """`conditions`: dicts with key, kind, name, ...; `correct[key]`: per repeat, per test item, right or not;
    `scored_on`: how sentences name the test items ('expert-adjudicated items, no gold' where experts scored them).
    Adds per_repeat, mean, sd, ci_low, ci_high, n to each condition; returns comparisons, verdict, gap_recovered."""
    per_item = {}
    for c in conditions:
        rows = correct[c["key"]]
        per_repeat = [metrics.accuracy_with_ci(sum(r), len(r)) for r in rows]
        items = np.asarray(rows, dtype=float).mean(axis=0) if rows and rows[0] else np.zeros(0)
        per_item[c["key"]] = items
        mean, sd = paired_stats.mean_sd([r["accuracy"] for r in per_repeat if r["accuracy"] is not None])
        lo, hi = paired_stats.bootstrap_mean_ci(items, seed=seed)
        c.update({"per_repeat": [{"accuracy": r["accuracy"], "correct": r["correct"], "n": r["n"]} for r in per_repeat],
                  "mean": mean, "sd": sd, "ci_low": lo, "ci_high": hi, "n": int(items.size)})
    comparisons = []
    for a, b in itertools.combinations(conditions, 2):
        x, y = per_item[a["key"]], per_item[b["key"]]
        diff = paired_stats.paired_bootstrap_difference(x, y, seed=seed)
        if diff["diff"] is None:
            continue
        test = paired_stats.mcnemar_exact(paired_stats.majority_right(x), paired_stats.majority_right(y))
        cmp = {"a": a["key"], "b": b["key"], **diff, "p": test["p"], "only_a": test["only_a"], "only_b": test["only_b"]}
        cmp["sentence"] = sentence(a, b, cmp, scored_on)
        cmp["sentence_reversed"] = sentence(b, a, find([cmp], b["key"], a["key"]), scored_on)  # for a picker asking B vs A
        comparisons.append(cmp)
    in_context = [c for c in conditions if c.get("measure") != "trained"]
    trained = [c for c in conditions if c.get("measure") == "trained"]
    verdicts = {"in-context": _verdict(in_context, comparisons, scored_on)}
    gaps = _gaps(in_context, per_item, seed)
    if trained:
        # the untrained reference (zero-shot) stays the weakest comparison point of the trained measure
        reference = [c for c in in_context if c["kind"] == "zero-shot"]
        verdicts["trained"] = _verdict(trained + reference, comparisons, scored_on)
        gaps += [{**g, "measure": "trained"} for g in _gaps(trained + reference, per_item, seed)]
    measure = "trained" if verdicts.get("trained") else "in-context"
    verdict = verdicts[measure]
    if measure == "trained":
        verdict = f"Trained measure ({trained[0].get('trainer', 'probe')}): {verdict}"
    return {"comparisons": comparisons, "verdict": verdict, "verdict_measure": measure if verdict else None,
            "verdicts": verdicts, "gap_recovered": gaps}


def _verdict(conditions: list[dict], comparisons: list[dict], items: str = "test items") -> str:
    pair = _headline(conditions)
    if not pair:
        return ""
    a, b = pair
    cmp = find(comparisons, a["key"], b["key"])
    return sentence(a, b, cmp, items) if cmp else ""


def find(comparisons: list[dict], a: str, b: str) -> dict | None:
    """The comparison of a with b (a − b), flipped if it was stored as b − a."""
    for c in comparisons:
        if (c["a"], c["b"]) == (a, b):
            return c
        if (c["a"], c["b"]) == (b, a):
            return {**c, "a": a, "b": b, "diff": -c["diff"], "ci_low": -c["ci_high"], "ci_high": -c["ci_low"],
                    "only_a": c["only_b"], "only_b": c["only_a"], "sentence": ""}
    return None


def _gaps(conditions: list[dict], per_item: dict, seed: int) -> list[dict]:
    """(ICM − weak) / (gold − weak) against the people (or crowd) and zero-shot, with the share of bootstrap
    resamples where it is undefined (gold − weak under 5 points) reported, never dropped silently."""
    by_kind = {}
    for c in conditions:
        by_kind.setdefault(c["kind"], c)
    gold = by_kind.get("gold")
    out = []
    for c in conditions:
        if c["kind"] != "icm":
            continue
        for weak_kind in ("people", "crowd", "zero-shot"):
            weak = by_kind.get(weak_kind)
            label = f"({c['name']} − {weak['name'] if weak else weak_kind}) / (gold − {weak['name'] if weak else weak_kind})"
            base = {"key": f"{c['key']}|{weak_kind}", "label": label, "run_id": c.get("run_id"), "against": weak_kind}
            if weak is None or gold is None:
                if weak_kind == "crowd":
                    continue
                out.append({**base, "value": None, "meaningful": False, "ci_low": None, "ci_high": None,
                            "undefined_share": None,
                            "note": f"the evaluation has no {'gold' if weak else weak_kind} condition"})
                continue
            r = metrics.bootstrap_gap_recovered(per_item[c["key"]], per_item[weak["key"]], per_item[gold["key"]],
                                                n_boot=2000, seed=seed)
            share = (r["undefined"] / r["n_boot"]) if r.get("n_boot") else None
            if not r["meaningful"]:
                note = (f"undefined: gold − {weak['name']} is {100 * r['gap']:.1f} points (under "
                        f"{100 * metrics.MIN_GAP:.0f})" if r["gap"] is not None else "undefined: no test items")
            else:
                note = (f"undefined in {100 * share:.1f}% of {r['n_boot']} bootstrap resamples (gold − "
                        f"{weak['name']} under {100 * metrics.MIN_GAP:.0f} points there); the interval is over the rest"
                        if share else "")
            out.append({**base, **r, "undefined_share": share, "note": note})
    return out
