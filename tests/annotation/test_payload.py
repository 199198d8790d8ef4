"""What the page gets about an example: only the display fields, laid out for the task type."""
import pytest

from studio.models import Dataset
from studio.services.annotation import example_payload

from .factories import make_dataset

pytestmark = pytest.mark.django_db


def blog_pair(i):
    return {"post_a": f"Post {i} one", "post_b": f"Post {i} two", "age_a": 17, "blogger_b": "id-123"}


def test_a_claim_is_stacked_under_its_question_and_undisplayed_fields_stay_out():
    ds = make_dataset(n=1)
    payload = example_payload(ds.examples.get())
    assert payload["layout"] == "stack" and payload["pair"] == []
    assert [(b["title"], b["text"]) for b in payload["top"]] == [
        ("Question", "What happens at step 0?"), ("Claim", "Claim number 0 is what happens.")]
    assert "source_id" not in str(payload) and "Prompt for example" not in str(payload)
    assert set(payload) == {"id", "layout", "top", "pair"}


def test_a_pair_of_blog_posts_goes_side_by_side_named_as_the_question_names_them():
    ds = make_dataset(n=1, task_type=Dataset.TaskType.COMPARISON, fields=blog_pair,
                      question="Is Post A more likely written by a man than Post B?", display_fields=["post_a", "post_b"])
    payload = example_payload(ds.examples.get())
    assert payload["layout"] == "pair" and payload["top"] == []
    assert [(b["title"], b["text"]) for b in payload["pair"]] == [("Post A", "Post 0 one"), ("Post B", "Post 0 two")]
    assert "17" not in str(payload) and "id-123" not in str(payload)


def test_comparison_titles_from_display_fields_win_and_the_question_stays_on_top():
    ds = make_dataset(n=1, task_type=Dataset.TaskType.COMPARISON,
                      fields=lambda i: {"question": "Q?", "choice": "one", "choice_2": "two"},
                      question="Is Answer 1 more truthful than Answer 2?",
                      display_fields=["question", {"field": "choice", "label": "Left"}, "choice_2"])
    payload = example_payload(ds.examples.get())
    assert [b["title"] for b in payload["top"]] == ["Question"]
    assert [b["title"] for b in payload["pair"]] == ["Left", "Answer 2"]


def test_without_display_fields_the_prompt_is_shown():
    ds = make_dataset(n=1, display_fields=())
    payload = example_payload(ds.examples.get())
    assert [b["text"] for b in payload["top"]] == ["Prompt for example 0. I think this claim is"]
