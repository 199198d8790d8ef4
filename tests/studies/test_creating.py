"""Creating a study from each template: items chosen as whole groups (seeded), the people's train items inside
the ICM pool, test items with gold; every bad value refused naming its field, with nothing written."""
import pytest

from studio.models import Example, Membership, Study
from studio.services.studies import StudyRefused, create_study, templates_for
from tests.review.factories import alpaca_like
from tests.studies.factories import pairs_dataset, people

pytestmark = pytest.mark.django_db


def _groups(ids):
    return {Example.objects.get(pk=pk).group for pk in ids}


def _whole(ids):
    return set(ids) == set(Example.objects.filter(group__in=_groups(ids)).values_list("pk", flat=True))


def test_blog_gender_template_chooses_whole_pairs_people_inside_the_pool(admin_user):
    ds = pairs_dataset(train_pairs=16, test_pairs=8)
    a, b = people(ds, 2)
    study = create_study(ds, "blog-gender", {"name": "tiny", "icm_pool_size": 16, "people_train_size": 8,
                                             "test_size": 8, "annotators_per_item": 2, "annotators": ["person0", b.pk]},
                         user=admin_user)
    assert len(study.icm_pool_ids) == 16 and len(study.people_train_ids) == 8 and len(study.test_ids) == 8
    assert _whole(study.icm_pool_ids) and _whole(study.people_train_ids) and _whole(study.test_ids)
    assert set(study.people_train_ids) <= set(study.icm_pool_ids)
    assert set(Example.objects.filter(pk__in=study.icm_pool_ids).values_list("split", flat=True)) == {"train"}
    assert set(Example.objects.filter(pk__in=study.test_ids).values_list("split", flat=True)) == {"test"}
    assert set(study.annotators.all()) == {a, b}
    assert study.people_item_ids == study.people_train_ids + study.test_ids
    # the same seed picks the same items; another seed other items
    again = create_study(ds, "blog-gender", {"name": "tiny 2", "icm_pool_size": 16, "people_train_size": 8,
                                             "test_size": 8, "annotators_per_item": 2}, user=admin_user)
    assert again.icm_pool_ids == study.icm_pool_ids and again.test_ids == study.test_ids
    other = create_study(ds, "blog-gender", {"name": "tiny 3", "icm_pool_size": 16, "people_train_size": 8,
                                             "test_size": 8, "annotators_per_item": 2, "test_seed": 7}, user=admin_user)
    assert other.test_ids != study.test_ids


def test_template_defaults_are_the_papers_for_blog_gender(admin_user):
    ds = pairs_dataset(train_pairs=130, test_pairs=101)
    people(ds, 5)  # k = 5 needs five people
    study = create_study(ds, "blog-gender", {"name": "paper", "design": "paper"}, user=admin_user)
    assert study.design == "paper" and study.settings["iterations"] == 512  # never the engine's 3,000
    assert (len(study.people_train_ids), len(study.test_ids), study.annotators_per_item) == (96, 200, 5)
    assert len(_groups(study.people_train_ids)) == 48 and len(_groups(study.test_ids)) == 100


@pytest.mark.parametrize("template,preset", [("truthfulqa", "truthfulqa"), ("gsm8k-verification", "gsm8k-verification"),
                                             ("sst2", "sst2"), ("custom", "")])
def test_each_preset_template_applies_to_its_preset(admin_user, template, preset):
    ds = pairs_dataset(train_pairs=8, test_pairs=4, preset=preset, name=f"ds {template}")
    people(ds, 3)
    assert template in [t.key for t in templates_for(ds)]
    study = create_study(ds, template, {"name": template, "icm_pool_size": 8, "people_train_size": 4, "test_size": 4},
                         user=admin_user)
    assert study.template == template and len(study.icm_pool_ids) == 8


def test_alpaca_template_uses_the_crowd_votes(admin_user):
    ds = alpaca_like(pairs=20)
    ds.preset = "alpaca"
    ds.save()
    study = create_study(ds, "alpaca", {"name": "crowd", "icm_pool_size": 8, "test_size": 4}, user=admin_user)
    assert study.human_condition == "crowd" and study.people_train_ids == [] and study.people_item_ids == []
    with pytest.raises(StudyRefused) as err:
        create_study(ds, "alpaca", {"name": "crowd 2", "icm_pool_size": 8, "test_size": 4, "people_train_size": 4},
                     user=admin_user)
    assert err.value.field == "people_train_size" and "crowd" in err.value.message


@pytest.mark.parametrize("template,overrides,field,words", [
    ("nope", {}, "template", "not one of"),
    ("truthfulqa", {}, "template", "is for the 'truthfulqa' preset"),
    ("blog-gender", {"name": ""}, "name", "give the study a name"),
    ("blog-gender", {"icm_pool_size": 999}, "icm_pool_size", "more than the 32 examples"),
    ("blog-gender", {"icm_pool_size": "lots"}, "icm_pool_size", "expected a whole number"),
    ("blog-gender", {"people_train_size": 20, "icm_pool_size": 16}, "people_train_size", "inside the pool"),
    ("blog-gender", {"test_size": 1}, "test_size", "smallest consistency group"),
    ("blog-gender", {"test_size": 100}, "test_size", "more than the 16 examples"),
    ("blog-gender", {"annotators_per_item": 0}, "annotators_per_item", "from 1 to 50"),
    ("blog-gender", {"annotators_per_item": 3, "annotators": ["person0", "person1"]}, "annotators_per_item",
     "needs at least 3 people; 2 chosen"),
    ("blog-gender", {"annotators_per_item": 3}, "annotators_per_item", "has 2 annotators"),
    ("blog-gender", {"annotators": ["ghost"]}, "annotators", "no user 'ghost'"),
    ("blog-gender", {"annotators": ["outsider"]}, "annotators", "outsider do not annotate"),
    ("blog-gender", {"settings": {"iterations": "many"}}, "settings", "iterations"),
    ("blog-gender", {"settings": {"bogus": 1}}, "settings", "not an engine hyperparameter"),
    ("blog-gender", {"test_split": "dev"}, "test_split", "has no split 'dev'"),
    ("blog-gender", {"test_split": "train"}, "test_split", "must differ"),
    ("blog-gender", {"repeats": 0}, "repeats", "from 1 to 10"),
    ("blog-gender", {"colour": "red"}, "colour", "not a study setting"),
])
def test_bad_values_are_refused_naming_the_field_and_write_nothing(admin_user, django_user_model, template,
                                                                   overrides, field, words):
    ds = pairs_dataset(train_pairs=16, test_pairs=8)
    people(ds, 2)
    django_user_model.objects.create_user("outsider", password="pw-123456789")
    values = {"name": "s", "icm_pool_size": 16, "people_train_size": 8, "test_size": 8, "annotators_per_item": 2,
              **overrides}
    with pytest.raises(StudyRefused) as err:
        create_study(ds, template, values, user=admin_user)
    assert err.value.field == field
    assert words in err.value.message
    assert Study.objects.count() == 0


def test_duplicate_name_and_non_admin_are_refused(admin_user, django_user_model):
    ds = pairs_dataset(train_pairs=8, test_pairs=4)
    values = {"name": "once", "icm_pool_size": 8, "people_train_size": 4, "test_size": 4, "annotators_per_item": 1}
    people(ds, 1)
    create_study(ds, "blog-gender", values, user=admin_user)
    with pytest.raises(StudyRefused) as err:
        create_study(ds, "blog-gender", values, user=admin_user)
    assert err.value.kind == "conflict" and err.value.field == "name"
    reviewer = django_user_model.objects.create_user("rev", password="pw-123456789")
    Membership.objects.create(user=reviewer, dataset=ds, role=Membership.Role.REVIEWER)
    with pytest.raises(StudyRefused) as err:
        create_study(ds, "blog-gender", {**values, "name": "twice"}, user=reviewer)
    assert err.value.kind == "forbidden"
    assert Study.objects.count() == 1
