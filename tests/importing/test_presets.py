"""Every bundled preset: the counts the issue names, and that gold stays out of what annotators and the
model see (fields, prompt, ids, order)."""
import ast
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.db.models import Count

from studio.models import GoldLabel, HumanLabel
from studio.services.importing import ImportFailed, import_preset
from studio.services.importing.presets import PRESETS
from studio.services.importing.prompts import render

pytestmark = pytest.mark.django_db

GOLD_GIVEAWAYS = {"label", "gold", "gender", "ref_cot", "ref_answer", "difficulty", "category", "confidence",
                  "candidate_label", "answer"}


def examples(ds):
    """(example, gold) in position order."""
    gold = dict(GoldLabel.objects.filter(example__dataset=ds).values_list("example_id", "label"))
    return [(e, gold[e.pk]) for e in ds.examples.order_by("position")]


def groups_per_split(ds) -> dict:
    return {row["split"]: row["n"] for row in
            ds.examples.values("split").annotate(n=Count("group", distinct=True)).order_by()}


def check_common(ds, rows):
    spec = PRESETS[ds.preset]
    assert ds.prompt_template == spec.prompt_template and ds.prompt_template.endswith("I think this claim is")
    assert ds.question and ds.description and ds.source and ds.display_fields
    assert (ds.true_word, ds.false_word) == (" True", " False")
    for e, _ in rows:
        assert not GOLD_GIVEAWAYS & set(e.fields)
        assert set(ds.display_fields) <= set(e.fields)
        assert e.prompt == render(ds.prompt_template, e.fields, ds.max_chars)
        assert e.split in ("train", "test")
    assert len(rows) == GoldLabel.objects.filter(example__dataset=ds).count()


def test_truthfulqa_3608_claims_in_652_plus_144_question_groups():
    ds = import_preset("truthfulqa")
    rows = examples(ds)
    check_common(ds, rows)
    assert (ds.task_type, ds.consistency, ds.gold_derived_metadata) == ("claim", "none", False)
    assert Counter(e.split for e, _ in rows) == {"train": 2608, "test": 1000}
    assert groups_per_split(ds) == {"train": 652, "test": 144}
    assert all(e.key == "" for e, _ in rows)  # no keys by default: the official ones are gold
    assert Counter(g for _, g in rows) == {False: 1414 + 568, True: 1194 + 432}
    # The test file lists each question's true answers first; the studio's order does not.
    first = {}
    for e, g in rows:
        first.setdefault(e.group, g)
    assert 0.3 < sum(first.values()) / len(first) < 0.7


def test_truthfulqa_official_keys_are_gold_derived_and_flagged_as_such():
    plain = import_preset("truthfulqa")
    ds = import_preset("truthfulqa", keys="official")
    assert ds.name != plain.name and "gold-derived" in ds.name
    assert (ds.preset, ds.consistency, ds.gold_derived_metadata) == ("truthfulqa", "keys", True)
    assert "GOLD-DERIVED" in ds.description
    rows = examples(ds)
    assert len(rows) == 3608 and all(e.key == ("A" if g else "B") for e, g in rows)
    with pytest.raises(ImportFailed, match="has no key variant 'leaky'"):
        import_preset("truthfulqa", keys="leaky")


def test_truthfulqa_preference_pairs_with_text_order_keys():
    ds = import_preset("truthfulqa-preference")
    rows = examples(ds)
    check_common(ds, rows)
    assert (ds.task_type, ds.consistency) == ("comparison", "comparison")
    assert Counter(e.split for e, _ in rows) == {"train": 7250, "test": 5882}
    assert groups_per_split(ds) == {"train": 3625, "test": 2941}
    by_group = defaultdict(list)
    for e, g in rows:
        by_group[e.group].append((e, g))
        assert e.key == ("A>B" if e.fields["choice"] <= e.fields["choice_2"] else "B>A")
    for pair in by_group.values():
        (a, ga), (b, gb) = pair
        assert (a.key, b.key) == ("A>B", "B>A") and ga != gb
        assert a.fields["choice"] == b.fields["choice_2"]
    # The key is not the gold label in disguise (the official code's key is).
    assert all(n > 2000 for n in Counter((e.key, g) for e, g in rows).values())


def test_gsm8k_verification_keys_are_final_answers_from_the_text():
    ds = import_preset("gsm8k-verification")
    rows = examples(ds)
    check_common(ds, rows)
    assert (ds.task_type, ds.consistency) == ("claim", "keys")
    assert len(rows) == 2972 and len({e.group for e, _ in rows}) == 743
    assert Counter(e.split for e, _ in rows) == {"train": 1488, "test": 1484}
    splits_per_group = defaultdict(set)
    for e, _ in rows:
        splits_per_group[e.group].add(e.split)
    assert all(len(s) == 1 for s in splits_per_group.values())
    roses = [e for e, _ in rows if e.fields["question"].startswith("Dan plants 3 rose bushes")]
    assert len(roses) == 4 and any(e.key == "600" for e in roses)
    for e in roses:
        assert e.key and e.key in e.fields["cot"].replace(",", "").split("The answer is")[-1]
    # In the file, a problem's first solution is always right and its last always wrong; not here.
    first = {}
    for e, g in rows:
        first.setdefault(e.group, g)
    assert 0.3 < sum(first.values()) / len(first) < 0.7
    # Different final answers are never both right under gold (the keys rule holds for the truth).
    true_keys = defaultdict(set)
    for e, g in rows:
        if g:
            true_keys[e.group].add(e.key)
    assert all(len(k) == 1 for k in true_keys.values())


def test_alpaca_934_comparisons_and_3738_crowd_votes_on_both_orders():
    ds = import_preset("alpaca")
    rows = examples(ds)
    check_common(ds, rows)
    assert len(rows) == 934 and len({e.group for e, _ in rows}) == 467
    votes = HumanLabel.objects.filter(example__dataset=ds)
    assert votes.count() == 3738
    assert votes.filter(source="crowd", annotator__isnull=True, crowd_voter__isnull=False).count() == 3738
    per_example = defaultdict(dict)
    for example_id, voter, label in votes.values_list("example_id", "crowd_voter", "label"):
        per_example[example_id][voter] = label
    by_group = defaultdict(list)
    for e, g in rows:
        by_group[e.group].append((e, g))
        mine = per_example[e.pk]
        assert len(mine) in (4, 5)
        assert (sum(mine.values()) * 2 > len(mine)) == g  # gold = the majority vote
    for (a, _), (b, _) in by_group.values():
        assert per_example[a.pk] == {v: not label for v, label in per_example[b.pk].items()}
    agree = sum(per_example[e.pk][v] == g for e, g in rows for v in per_example[e.pk])
    assert agree == 2 * 1592


def test_blog_gender_2500_pairs_both_orders_each_post_once_half_true():
    ds = import_preset("blog-gender")
    rows = examples(ds)
    check_common(ds, rows)
    assert ds.display_fields == ["post_a", "post_b"]
    assert len(rows) == 5000 and len({e.group for e, _ in rows}) == 2500
    assert Counter(g for _, g in rows) == {True: 2500, False: 2500}
    assert Counter(e.split for e, _ in rows) == {"train": 2500, "test": 2500}
    as_a = Counter(e.fields["post_a_id"] for e, _ in rows)
    as_b = Counter(e.fields["post_b_id"] for e, _ in rows)
    assert set(as_a) == set(as_b) == set(range(5000))  # every post, once as A and once as B
    assert set(as_a.values()) == set(as_b.values()) == {1}
    groups_of_post = defaultdict(set)
    by_group = defaultdict(list)
    for e, g in rows:
        groups_of_post[e.fields["post_a_id"]].add(e.group)
        by_group[e.group].append((e, g))
    assert all(len(g) == 1 for g in groups_of_post.values())  # each post in exactly one pair
    for (a, ga), (b, gb) in by_group.values():
        assert (a.fields["post_a"], a.fields["post_b"]) == (b.fields["post_b"], b.fields["post_a"])
        assert ga != gb and (a.key, b.key) == ("A>B", "B>A") and a.split == b.split
    assert "Claim: Post A is more likely written by a man than Post B." in rows[0][0].prompt
    # One corpus post is padded with NUL characters, which PostgreSQL cannot store: they are dropped.
    assert not any("\x00" in e.prompt for e, _ in rows)


def test_sst2_train_and_dev_sentences_without_trailing_space():
    ds = import_preset("sst2")
    assert ds.examples.count() == 68221
    assert dict(ds.examples.values_list("split").annotate(n=Count("pk")).order_by()) == {"train": 67349, "test": 872}
    gold = GoldLabel.objects.filter(example__dataset=ds)
    assert gold.filter(label=True, example__split="train").count() == 37569
    assert gold.filter(label=True, example__split="test").count() == 444
    first = ds.examples.get(external_id="train-1")
    assert first.fields == {"sentence": "hide new secretions from the parental units"}
    assert first.prompt == ("Sentence: hide new secretions from the parental units\n"
                            "Claim: The sentiment of this sentence is positive.\nI think this claim is")
    assert not ds.examples.filter(fields__sentence__endswith=" ").exists()
    assert (ds.task_type, ds.consistency) == ("text", "none")
    assert not ds.examples.exclude(group="").exists()


def test_every_preset_has_a_test_here():
    """A preset added to PRESETS fails this until a test above imports it (and checks its counts)."""
    tests = [f for f in ast.parse(Path(__file__).read_text()).body
             if isinstance(f, ast.FunctionDef) and f.name.startswith("test_")]
    imported = {call.args[0].value for f in tests for call in ast.walk(f)
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "import_preset"
                and call.args and isinstance(call.args[0], ast.Constant)}
    assert sorted(set(PRESETS) - imported) == [], "presets no test imports"
