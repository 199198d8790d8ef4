"""Group-aligned subsets (issue 13): a run's random sample and its human-labeled subset take whole consistency
groups (both orders of a pair, every answer to a question) and never split one.

Every bundled preset (and its key variants) is imported once for this module through the studio's own preset import,
into PostgreSQL, so the groups are the presets' real ones. The sst2 preset (68k rows) has no consistency groups; a
small synthetic stand-in of the same shape (real SST-2 dev sentences, every group empty) takes its place."""
from collections import defaultdict

import pytest
from rest_framework.test import APIClient

from studio.models import ElicitationRun, Example, HumanLabel
from studio.services import runs
from studio.services.importing.preset_import import import_preset
from studio.services.importing.presets import PRESETS
from studio.services.runs import RunRefused
from studio.services.runs.subsets import choose_examples
from studio.services.splits import dataset_splits

from tests.support.datasets import make_sst2_dataset
from tests.support.workers import FAST_CONFIG

pytestmark = pytest.mark.django_db

VARIANTS = [(name, keys) for name, spec in PRESETS.items() for keys in (None, *spec.key_variants)]
SIZES = (1, 2, 7, 64, 255, 256, 1000)
SEEDS = (0, 1, 12345)


def _label(variant) -> str:
    name, keys = variant
    return f"{name}:{keys}" if keys else name


@pytest.fixture(scope="module")
def presets(django_db_setup, django_db_blocker):
    """Each preset imported once (sst2: a 40-example ungrouped stand-in), removed when the module is done."""
    with django_db_blocker.unblock():
        made = {}
        for name, keys in VARIANTS:
            if name == "sst2":
                made[(name, keys)] = make_sst2_dataset(name="SST-2 stand-in (no groups)", n=40)
            else:
                made[(name, keys)] = import_preset(name, keys=keys)
    yield made
    with django_db_blocker.unblock():
        for dataset in made.values():
            dataset.delete()


def _groups(dataset, split):
    """{group key: set of pks} over the split, an example without a group being its own group."""
    groups = defaultdict(set)
    for pk, group in Example.objects.filter(dataset=dataset, split=split).values_list("pk", "group"):
        groups[group or ("alone", pk)].add(pk)
    return groups


def _positions(pks):
    return list(Example.objects.filter(pk__in=pks).order_by("position", "pk").values_list("pk", flat=True))


@pytest.mark.parametrize("variant", VARIANTS, ids=_label)
def test_a_sample_takes_whole_groups_up_to_the_request(presets, variant):
    dataset = presets[variant]
    checked = 0
    for split in dataset_splits(dataset):
        groups = _groups(dataset, split)
        total, smallest = sum(map(len, groups.values())), min(map(len, groups.values()))
        for size in SIZES:
            if not smallest <= size <= total:
                continue
            for seed in SEEDS:
                chosen = choose_examples(dataset, split=split, subset="sample", sample_size=size, sample_seed=seed)
                ids = set(chosen.ids)
                touched = [members for members in groups.values() if members & ids]
                assert all(members <= ids for members in touched), f"{split} {size} {seed}: a group was split"
                assert len(ids) == len(chosen.ids) <= size and chosen.groups == len(touched)
                # The nearest total below the request: no group left out would still have fitted.
                left_out = [members for members in groups.values() if not members & ids]
                assert all(len(members) > size - len(ids) for members in left_out)
                assert chosen.ids == _positions(ids), "kept in dataset order"
                assert chosen.note.startswith(f"sample of {size} requested: ")
                assert chosen.note.endswith(f" = {len(ids)} examples")
                checked += 1
    assert checked >= 3 * len(SEEDS)


@pytest.mark.parametrize("variant", VARIANTS, ids=_label)
def test_a_sample_is_the_same_for_a_seed_and_differs_between_seeds(presets, variant):
    dataset = presets[variant]
    split = dataset_splits(dataset)[0]
    size = min(20, Example.objects.filter(dataset=dataset, split=split).count())
    again = [choose_examples(dataset, split=split, subset="sample", sample_size=size, sample_seed=seed).ids
             for seed in (5, 5, 6)]
    assert again[0] == again[1] != again[2]


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v[0] != "sst2"], ids=_label)
def test_a_request_smaller_than_the_smallest_group_is_refused(presets, variant, admin_user):
    dataset = presets[variant]
    split = dataset_splits(dataset)[0]
    smallest = min(map(len, _groups(dataset, split).values()))
    if smallest == 1:
        pytest.skip(f"{_label(variant)} has examples without a group: any size of at least 1 can be met")
    before = ElicitationRun.objects.count()
    with pytest.raises(RunRefused) as refused:
        runs.start_run(dataset, user=admin_user, split=split, subset="sample", sample_size=smallest - 1,
                       config=FAST_CONFIG)
    assert refused.value.field == "sample_size"
    assert refused.value.message == (
        f"sample_size: {smallest - 1} is smaller than the smallest consistency group in split {split!r} of "
        f"{dataset.name} ({smallest} examples); a sample takes whole groups, so ask for at least {smallest}")
    assert ElicitationRun.objects.count() == before


def test_blog_gender_256_keeps_every_pair_and_the_run_records_requested_and_taken(presets, admin_user):
    dataset = presets[("blog-gender", None)]
    run = runs.start_run(dataset, user=admin_user, split="train", subset="sample", sample_size=256, sample_seed=0,
                         config=FAST_CONFIG)
    groups = _groups(dataset, "train")
    complete = [members for members in groups.values() if members <= set(run.example_ids)]
    assert len(complete) == 128 and len(run.example_ids) == 256  # every sampled example keeps its pair
    run.refresh_from_db()
    assert (run.sample_size, run.example_count, run.subset_groups) == (256, 256, 128)
    assert run.subset_note == "sample of 256 requested: 128 whole pairs = 256 examples"

    odd = runs.start_run(dataset, user=admin_user, split="train", subset="sample", sample_size=255, sample_seed=0,
                         config=FAST_CONFIG)
    assert (odd.sample_size, odd.example_count, odd.subset_groups) == (255, 254, 127)
    assert odd.subset_note == "sample of 255 requested: 127 whole pairs = 254 examples"

    api = APIClient()
    api.force_login(admin_user)
    shown = api.get(f"/api/runs/{odd.pk}/").json()
    assert (shown["sample_size"], shown["example_count"], shown["subset_groups"]) == (255, 254, 127)
    assert shown["subset_note"] == "sample of 255 requested: 127 whole pairs = 254 examples"
    page = api.get(f"/runs/{odd.pk}/").content.decode()
    assert "sample of 255 requested: 127 whole pairs = 254 examples" in page


def test_too_small_a_sample_is_refused_on_the_sample_size_field_of_the_form_and_the_api(presets, admin_user):
    dataset = presets[("truthfulqa-preference", None)]
    api = APIClient()
    api.force_login(admin_user)
    before = ElicitationRun.objects.count()
    answer = api.post("/api/runs/", {"dataset": dataset.pk, "split": "train", "subset": "sample", "sample_size": 1,
                                     "config": FAST_CONFIG}, format="json")
    assert answer.status_code == 400 and "ask for at least 2" in str(answer.json())
    form = api.post("/runs/start/", {"dataset": dataset.pk, "split": "train", "subset": "sample", "sample_size": 1,
                                     "sample_seed": 0, "model": "smollm2", "backend": "hf", "device": "auto"})
    assert form.status_code == 200
    assert "ask for at least 2" in str(form.context["form"].errors["sample_size"])
    assert ElicitationRun.objects.count() == before


def test_the_ungrouped_stand_in_samples_exactly_the_request(presets):
    dataset = presets[("sst2", None)]
    chosen = choose_examples(dataset, split="train", subset="sample", sample_size=7, sample_seed=0)
    assert len(chosen.ids) == 7 and chosen.note == "sample of 7 requested: 7 ungrouped examples = 7 examples"


@pytest.mark.parametrize("variant", [("truthfulqa", None), ("truthfulqa-preference", None), ("blog-gender", None)],
                         ids=_label)
def test_an_example_with_human_labels_brings_its_whole_group(presets, variant, admin_user, django_user_model):
    dataset = presets[variant]
    groups = [members for members in _groups(dataset, "train").values() if len(members) > 1][:3]
    person = django_user_model.objects.create_user("ann", password="x-pass-123")
    for members in groups:
        HumanLabel.objects.create(example_id=min(members), annotator=person, label=True)
    run = runs.start_run(dataset, user=admin_user, split="train", subset="human_labeled", config=FAST_CONFIG)
    wanted = set().union(*groups)
    assert set(run.example_ids) == wanted and run.example_ids == _positions(wanted)
    assert run.subset_groups == 3
    assert run.subset_note.startswith("3 examples with human labels, with their groups: ")
    assert run.subset_note.endswith(f" = {len(wanted)} examples")
