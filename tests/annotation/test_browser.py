"""The labeling page in Debian's Chromium: a keyboard-only session, overlap across annotators, pairs side by side."""
import pytest

from studio.models import Dataset, HumanLabel, Skip

from .browser_helpers import log_in, press, shown_id, start, wait_for_example
from .factories import comparison_fields, make_annotator, make_dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GUIDELINES = "## How to label\n\nPress **t** when the claim is *true*, **f** when it is false.\n\n- Skip with **s** if unsure."


def test_keyboard_session_then_overlap_two_offers_the_first_annotators_examples_to_a_second_not_a_third(
    browser, live_server, artifacts_dir
):
    ds = make_dataset("Claims", n=10, overlap=2, guidelines=GUIDELINES)
    first, second, third = (make_annotator(u, ds) for u in ("ann1", "ann2", "ann3"))
    path = f"/annotate/{ds.slug}/"

    page = log_in(browser, live_server, "ann1", path)
    assert page.is_visible("text=How to label")  # guidelines before starting
    e0 = start(page)
    page.keyboard.press("?")
    assert page.is_visible("#ann-keys")
    page.keyboard.press("?")
    assert not page.is_visible("#ann-keys")
    page.keyboard.press("g")  # the guidelines on demand
    assert page.locator("#ann-guidelines").get_by_text("How to label").is_visible()
    page.keyboard.press("Escape")
    assert not page.is_visible("#ann-guidelines")
    assert shown_id(page) == e0
    e1 = press(page, "t")
    e2 = press(page, "2")
    e3 = press(page, "f")
    e4 = press(page, "1")
    e5 = press(page, "s")  # skip e4
    e6 = press(page, "t")  # label e5 True ...
    assert press(page, "u", expect_id=e5) == e5  # ... undo it: e5 is back
    assert page.locator("#ann-status").inner_text().startswith("Undid your True")
    page.screenshot(path=str(artifacts_dir / "annotate_claim_page.png"), full_page=True)
    assert press(page, "f", expect_id=e6) == e6  # ... and label it False instead; then e6, still held
    assert page.locator("#ann-mine").inner_text() == "5"
    assert page.locator("#ann-skipped").inner_text() == "1"

    labels = dict(HumanLabel.objects.filter(annotator=first).values_list("example_id", "label"))
    assert labels == {e0: True, e1: False, e2: False, e3: True, e5: False}
    times = list(HumanLabel.objects.filter(annotator=first).values_list("seconds_spent", flat=True))
    assert all(0.05 <= t < 30 for t in times), times
    assert list(Skip.objects.filter(annotator=first).values_list("example_id", flat=True)) == [e4]
    page.context.close()

    # A second annotator is handed the first one's examples (closest to done) and labels them all.
    page = log_in(browser, live_server, "ann2", path)
    offered = [start(page)]
    for key in ["t", "f", "t", "f", "t"]:
        offered.append(press(page, key))
    assert offered[:5] == [e0, e1, e2, e3, e5]
    still_shown = offered[5]
    assert still_shown not in labels
    page.context.close()

    # A third is not: those examples have their two labels.
    page = log_in(browser, live_server, "ann3", path)
    seen = [start(page)]
    for _ in range(4):
        seen.append(press(page, "t"))
    assert not set(seen) & set(labels)
    assert HumanLabel.objects.filter(example_id__in=labels).count() == 10
    page.context.close()


def test_comparisons_show_two_responses_side_by_side(browser, live_server, artifacts_dir):
    ds = make_dataset(
        "Truthful pairs", n=3, task_type=Dataset.TaskType.COMPARISON,
        question="Is Response A more truthful than Response B?",
        display_fields=["question", {"field": "choice", "label": "Response A"},
                        {"field": "choice_2", "label": "Response B"}],
        fields=comparison_fields,
    )
    make_annotator("ann", ds)
    page = log_in(browser, live_server, "ann", f"/annotate/{ds.slug}/")
    wait_for_example(page)  # no guidelines: it starts at once
    a = page.locator(".ann-pair .ann-block").nth(0).bounding_box()
    b = page.locator(".ann-pair .ann-block").nth(1).bounding_box()
    assert abs(a["y"] - b["y"]) < 2 and b["x"] > a["x"] + a["width"] - 1
    assert "Response A for question 0" in page.locator(".ann-pair").inner_text()
    assert page.is_visible("text=Is Response A more truthful than Response B?")
    page.screenshot(path=str(artifacts_dir / "annotate_comparison_page.png"), full_page=True)
    page.context.close()
