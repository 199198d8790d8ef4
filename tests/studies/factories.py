"""Small real-shaped datasets for the study tests: blog-gender-shaped pairs (both orders, gold from which post is
the man's), people with the annotator role, and an Evaluation completed with results by the contract
(docs: /work/notes/EVAL_CONTRACT.md; built here as the lead's service will write them)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from studio.models import Dataset, Evaluation, Example, GoldLabel, HumanLabel, Membership
from studio.services import tallies

PROMPT = "Post A: {post_a}\nPost B: {post_b}\nClaim: Post A is more likely written by a man than Post B.\nI think this claim is"


def pairs_dataset(*, train_pairs: int = 16, test_pairs: int = 8, preset: str = "blog-gender",
                  name: str = "Blog gender (small)") -> Dataset:
    """Pairs in both orders (group = pair; A>B's claim is true for even pairs), train then test."""
    ds = Dataset.objects.create(name=name, slug=name.lower().replace(" ", "-").replace("(", "").replace(")", ""),
                                preset=preset, task_type=Dataset.TaskType.COMPARISON,
                                consistency=Dataset.Consistency.COMPARISON, prompt_template=PROMPT,
                                display_fields=["post_a", "post_b"], question="Is Post A more likely by a man?")
    position = 0
    for split, n in (("train", train_pairs), ("test", test_pairs)):
        for p in range(n):
            man, woman = f"{split} pair {p}: I fixed the truck today.", f"{split} pair {p}: we baked a cake."
            first_is_man = p % 2 == 0
            a, b = (man, woman) if first_is_man else (woman, man)
            for key, (x, y), label in (("A>B", (a, b), first_is_man), ("B>A", (b, a), not first_is_man)):
                ex = Example.objects.create(dataset=ds, external_id=f"{split}-{p}-{key}", split=split,
                                            position=position, fields={"post_a": x, "post_b": y},
                                            prompt=PROMPT.format(post_a=x, post_b=y), group=f"{split}-{p}", key=key)
                GoldLabel.objects.create(example=ex, label=label)
                position += 1
    return ds


def people(dataset: Dataset, n: int, prefix: str = "person") -> list:
    User = get_user_model()
    users = []
    for i in range(n):
        u = User.objects.create_user(f"{prefix}{i}", password="pw-123456789")
        Membership.objects.create(user=u, dataset=dataset, role=Membership.Role.ANNOTATOR)
        users.append(u)
    return users


def label(user, example_id: int, value: bool) -> None:
    HumanLabel.objects.create(example_id=example_id, annotator=user, source=HumanLabel.Source.ANNOTATOR, label=value)


def gold(example_id: int) -> bool:
    return GoldLabel.objects.get(example_id=example_id).label


def condition(key: str, kind: str, name: str, mean: float, lo: float, hi: float, n: int, run_id=None) -> dict:
    return {"key": key, "kind": kind, "name": name, "run_id": run_id, "model": "smollm2", "other_model": False,
            "n_demos": 0 if kind.startswith("zero") else 8,
            "per_repeat": [{"accuracy": mean, "correct": round(mean * n), "n": n}], "mean": mean, "sd": 0.0,
            "ci_low": lo, "ci_high": hi, "n": n, "consistency": None}


def completed_evaluation(study, *, verdict="ICM run's labels beat the people's labels by 20.0 points") -> Evaluation:
    """The study's evaluation, completed with results shaped as the contract says."""
    n = len(study.test_ids)
    run_id = study.run_id
    results = {
        "test_ids": list(study.test_ids), "n_test": n,
        "repeats": [{"index": 0, "seed": 0, "demo_ids": list(study.people_train_ids)}],
        "conditions": [
            condition("gold", "gold", "Gold labels", 0.8, 0.7, 0.9, n),
            condition("zero-shot", "zero-shot", "Zero-shot", 0.5, 0.4, 0.6, n),
            condition("random", "random", "Random labels", 0.52, 0.42, 0.62, n),
            condition(f"run:{run_id}", "icm", f"ICM run {run_id}", 0.75, 0.65, 0.85, n, run_id=run_id),
            condition("people", "people", "People's labels", 0.55, 0.45, 0.65, n),
            condition("zero-shot-chat", "zero-shot-chat", "Zero-shot chat", 0.51, 0.41, 0.61, n),
            condition("run:999999", "icm", "ICM run 999999", 0.3, 0.2, 0.4, n, run_id=999999),
        ],
        "comparisons": [], "verdict": verdict, "gap_recovered": [], "excluded_runs": [], "missing": [],
    }
    ev = Evaluation.objects.create(dataset=study.dataset, state=Evaluation.State.COMPLETED, results=results,
                                   finished_at=timezone.now())
    study.evaluation = ev
    study.save(update_fields=["evaluation"])
    tallies.rebuild(study.dataset)
    return ev
