"""In Debian's Chromium: an admin starts a run from the Django admin and watches its page update, without a
reload, until the run completes on a real worker with the bundled model."""
import re

import pytest

from studio.models import ElicitationRun

from tests.support.datasets import make_sst2_dataset
from tests.support.workers import FAST_CONFIG

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_admin_starts_a_run_from_the_admin_and_watches_it_complete(browser, live_server, start_worker,
                                                                      admin_user, artifacts_dir):
    start_worker("browser")
    ds = make_sst2_dataset()
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/studio/dataset/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "boss-pass-123")
    page.click("input[type=submit]")

    # The dataset list's action opens the start form.
    page.check(f'input[name="_selected_action"][value="{ds.pk}"]')
    page.select_option('select[name="action"]', "start_icm_run")
    page.click('button[name="index"]')
    page.wait_for_url(re.compile(r"/admin/studio/elicitationrun/start/"))
    assert page.input_value("#id_cfg_iterations") == "3000"  # the engine's default
    for name, value in FAST_CONFIG.items():
        page.fill(f"#id_cfg_{name}", str(value))
    page.click('input[type=submit][value="Start the run"]')
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    run = ElicitationRun.objects.get()
    assert page.url.endswith(f"/runs/{run.pk}/")

    # The page updates itself: a marker set now survives only if it never reloads.
    page.evaluate("window.__noReload = true")
    page.wait_for_function(
        "() => Number(document.querySelector('[data-field=iteration]').textContent) >= 1", timeout=480_000)
    assert page.text_content("[data-field=state_label]") == "Running"
    page.screenshot(path=str(artifacts_dir / "run-live-running.png"), full_page=True)

    # Functions, not expression strings: Playwright evals an expression in the page, which the CSP forbids.
    page.wait_for_function("() => document.querySelector('#run-live').dataset.done === '1'", timeout=600_000)
    assert page.evaluate("window.__noReload") is True
    assert page.text_content("[data-field=state_label]") == "Completed"
    assert page.text_content("[data-field=iteration]") == str(FAST_CONFIG["iterations"])
    assert page.locator("#labels-table tbody tr").count() == 8
    points = page.evaluate("Chart.getChart('chart-energy').data.datasets[0].data.length")
    accuracy_points = page.evaluate("Chart.getChart('chart-accuracy').data.datasets[0].data.length")
    assert points >= 2 and accuracy_points >= 2
    assert re.fullmatch(r"\d+(\.\d)?%", page.text_content("[data-field=accuracy]"))
    page.screenshot(path=str(artifacts_dir / "run-live-completed.png"), full_page=True)
    page.close()


# A chart's resolved Chart.js config, read in the page as a user's eye would check it.
CHART_CONFIG = """(id) => {
  const chart = Chart.getChart(id);
  return {
    xType: chart.scales.x.type, xPrecision: chart.options.scales.x.ticks.precision,
    yMin: chart.scales.y.min, yPrecision: chart.options.scales.y.ticks.precision,
    yTicks: chart.scales.y.ticks.map((t) => t.value),
    datasets: chart.data.datasets.map((d) => ({ label: d.label, stepped: d.stepped, tension: d.tension,
                                                xs: d.data.map((p) => p.x), ys: d.data.map((p) => p.y) })),
  };
}"""


def _row_cells(page, index: int) -> list[str]:
    return [t.strip() for t in page.locator(f'#batch-grid tr[data-batch="{index}"] td').all_text_contents()]


def test_a_reviewer_watches_a_two_batch_runs_grid_without_a_reload(browser, live_server, admin_user, artifacts_dir,
                                                                   monkeypatch, django_user_model):
    """No worker: the test plays the workers' part by writing the batches' rows and events as they would (the
    batches' tasks are not published), so every state the grid shows can be set and checked in turn."""
    from studio.models import ElicitedLabel, GoldLabel, Membership, RunBatch, RunEvent
    from studio.services import runs
    from studio.services.runs import starting
    from studio.services.runs.settling import settle_run
    from django.utils import timezone

    monkeypatch.setattr(starting, "_queue_batches", lambda run, batches: None)
    ds = make_sst2_dataset()
    reviewer = django_user_model.objects.create_user("rev", password="rev-pass-123")
    Membership.objects.create(user=reviewer, dataset=ds, role="reviewer")
    # 2 batches of 4, 4 iterations; 2 initial labels (4 would label every example at the start: no coverage warning)
    run = runs.start_run(ds, user=admin_user, config={**FAST_CONFIG, "initial_labels": 2}, batch_size=4)
    first, second = run.batches.order_by("index")
    # Batch 0 is done (2 s per iteration); batch 1's worker is loading the model.
    RunBatch.objects.filter(pk=first.pk).update(state="completed", phase="done", iteration=4, seconds_used=8.0,
                                                labeled_count=4, energy=-1.25, unlabeled_after_search=1,
                                                filled_count=1)
    RunBatch.objects.filter(pk=second.pk).update(state="running", phase="loading", worker="gpu-2", attempts=1)
    ElicitationRun.objects.filter(pk=run.pk).update(state="running", iteration=4, labeled_count=4)
    for i in range(1, 5):
        RunEvent.objects.create(run=run, batch=0, iteration=i, energy=-3 + i * 0.4375, labeled_count=i,
                                true_count=i // 2, false_count=i - i // 2, accuracy=0.5 + i / 8)

    page = browser.new_page(viewport={"width": 1280, "height": 1100})
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/runs/{run.pk}/")
    page.fill("#id_username", "rev")
    page.fill("#id_password", "rev-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/runs/{run.pk}/")
    page.evaluate("window.__noReload = true")
    page.wait_for_function("() => document.querySelectorAll('#batch-grid tr[data-batch]').length === 2")

    assert _row_cells(page, 0)[:8] == ["0", "Completed", "4 / 4", "4 / 4", "-1.250", "1", "1", "–"]
    assert _row_cells(page, 1)[:8] == ["1", "Loading the model", "0 / 4", "0 / 4", "–", "–", "–", "estimating…"]
    assert page.text_content("[data-field=now]") == "Now: 1 loading the model"
    assert page.text_content("[data-field=batches_done]") == "1" and page.text_content("[data-field=batch_count]") == "2"
    assert page.text_content("[data-field=iteration]") == "4" and page.text_content("[data-field=iterations]") == "8"
    # Batch 1 has not iterated: overall, it counts at batch 0's pace, 4 iterations × 2 s.
    assert page.text_content("[data-field=eta]") == "about 8 s"
    assert page.is_visible("#coverage-warning")
    assert "4 iterations are too few to visit every example of 2 of 2 batches" in page.text_content("#coverage-warning")
    assert page.evaluate("Chart.getChart('chart-energy').data.datasets.map(d => [d.label, d.data.length])") == [["batch 0", 4]]
    # The curves are true to the data: linear iterations, step lines, counts on whole numbers from 0.
    for canvas in ("chart-energy", "chart-accuracy", "chart-labeled", "chart-flips", "chart-inconsistencies"):
        cfg = page.evaluate(CHART_CONFIG, canvas)
        assert cfg["xType"] == "linear" and cfg["xPrecision"] == 0, canvas
        assert all(d["stepped"] == "before" and d["tension"] == 0 for d in cfg["datasets"]), (canvas, cfg)
        if canvas in ("chart-labeled", "chart-flips", "chart-inconsistencies"):
            assert cfg["yMin"] == 0 and cfg["yPrecision"] == 0, canvas
            assert all(float(v).is_integer() for v in cfg["yTicks"]), (canvas, cfg["yTicks"])
    assert page.evaluate(CHART_CONFIG, "chart-labeled")["datasets"] == [
        {"label": "batch 0", "stepped": "before", "tension": 0, "xs": [1, 2, 3, 4], "ys": [1, 2, 3, 4]}]
    assert not page.is_visible("#chart-inconsistencies"), "no inconsistencies measured yet: no empty chart"
    page.screenshot(path=str(artifacts_dir / "run-batches-loading.png"), full_page=True)

    # Batch 1 searches: 2 iterations in 2 s, on its second delivery.
    RunBatch.objects.filter(pk=second.pk).update(phase="searching", iteration=2, seconds_used=2.0, labeled_count=3,
                                                 energy=-0.5, attempts=2, tokens_used=1234, heartbeat_at=timezone.now())
    ElicitationRun.objects.filter(pk=run.pk).update(iteration=6, labeled_count=7)
    for i in (1, 2):
        RunEvent.objects.create(run=run, batch=1, iteration=i, energy=-1.0 + i * 0.25, labeled_count=i + 1,
                                true_count=1, false_count=i, accuracy=0.75, accepted_flips=i, inconsistencies=3 - i)
    page.wait_for_function(
        "() => document.querySelector('#batch-grid tr[data-batch=\"1\"]')?.dataset.phase === 'searching'")
    cells = _row_cells(page, 1)
    assert cells[:8] == ["1", "Searching", "2 / 4", "3 / 4", "-0.500", "–", "–", "about 2 s"]
    assert cells[8].startswith("2 deliveries")
    assert page.text_content("[data-field=eta]") == "about 2 s"
    # what the batch does, with its tokens as they accrue, and how fresh its worker's heartbeat is (issue 26)
    assert page.text_content("[data-field=now]") == "Now: batch 1 searching: iteration 2, 1,234 tokens"
    assert re.fullmatch(r"last heartbeat \d+ s ago", page.text_content("[data-field=heartbeat]"))
    page.wait_for_function("() => Chart.getChart('chart-energy').data.datasets.length === 2")
    assert page.evaluate("Chart.getChart('chart-energy').data.datasets[1].data.map(p => p.x)") == [1, 2]
    assert page.evaluate("Chart.getChart('chart-accuracy').data.datasets[1].data.map(p => p.y)") == [0.75, 0.75]
    page.wait_for_selector("#chart-inconsistencies", state="visible")
    inconsistencies = page.evaluate(CHART_CONFIG, "chart-inconsistencies")
    assert [(d["label"], d["xs"], d["ys"]) for d in inconsistencies["datasets"]] == [("batch 1", [1, 2], [2, 1])]
    assert inconsistencies["yMin"] == 0 and inconsistencies["yTicks"] == [0, 1, 2]
    page.locator(".run-curves-live").screenshot(path=str(artifacts_dir / "run-curves-two-batches.png"))

    # The run ends: every example labeled, 2 of them filled after the search.
    gold = dict(GoldLabel.objects.filter(example__dataset=ds).values_list("example_id", "label"))
    for position, pk in enumerate(run.example_ids):
        kind = "filled" if position in (3, 7) else "elicited"
        ElicitedLabel.objects.create(run=run, example_id=pk, kind=kind, label=gold[pk] if position != 5 else not gold[pk],
                                     batch=position // 4)
    RunBatch.objects.filter(pk=second.pk).update(state="completed", phase="done", iteration=4, labeled_count=4,
                                                 unlabeled_after_search=1, filled_count=1)
    assert settle_run(run.pk) == "completed"
    page.wait_for_function("() => document.querySelector('#run-live').dataset.done === '1'")
    assert page.evaluate("window.__noReload") is True
    assert page.text_content("[data-field=state_label]") == "Completed"
    assert page.text_content("[data-field=eta]") == "–" and page.text_content("[data-field=now]") == ""
    assert _row_cells(page, 1)[:8] == ["1", "Completed", "4 / 4", "4 / 4", "-0.500", "1", "1", "–"]
    elicited = page.locator('#accuracy-vs-gold tr[data-kind="elicited"] td').all_text_contents()
    filled = page.locator('#accuracy-vs-gold tr[data-kind="filled"] td').all_text_contents()
    assert elicited[:2] == ["83.3%", "5 / 6"] and filled[:2] == ["100.0%", "2 / 2"]
    assert re.fullmatch(r"\d+\.\d% – \d+\.\d%", elicited[2])
    page.screenshot(path=str(artifacts_dir / "run-batches-completed.png"), full_page=True)
    page.close()
