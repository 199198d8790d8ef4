"""Screenshots of the review dashboard and of a run's curves, drawn by Chart.js in Debian's Chromium."""
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server.url}/**")


def test_dashboard_and_run_curves_screenshots(browser, live_server, reviewed, admin_user, artifacts_dir):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, live_server, "boss", "boss-pass-123")
    page.goto(f"{live_server.url}/review/{reviewed.dataset.slug}/")
    page.wait_for_selector("body[data-charts-ready='1']")
    assert page.locator("#sources-table tbody tr").count() >= 5
    page.wait_for_selector("body[data-evaluation-ready='1']")
    assert page.locator("#evaluation-chart").bounding_box()["height"] > 100
    verdict = page.locator("#verdict").inner_text()
    assert verdict.startswith(f"ICM run {reviewed.run.pk}'s labels beat the people's labels by")
    labels = page.evaluate("() => Chart.getChart(document.getElementById('evaluation-chart')).data.labels"
                           ".map(l => Array.isArray(l) ? l.join(' ') : l)")
    names = [page.locator("#comparison-table tr[data-bar] td:first-child").nth(i).inner_text().split("\n")[0]
             for i in range(page.locator("#comparison-table tr[data-bar]").count())]
    assert [lab.split(" (")[0] for lab in labels] == names  # every condition's name drawn whole, never cut
    page.select_option("#pair-picker select[name=a]", f"run:{reviewed.run.pk}")
    page.select_option("#pair-picker select[name=b]", "zero-shot")
    assert "zero-shot prompting" in page.locator("#pair-sentence").inner_text()
    page.locator("#comparison").screenshot(path=str(artifacts_dir / "evaluation-verdict-and-chart.png"))
    page.screenshot(path=str(artifacts_dir / "review-dashboard.png"), full_page=True)

    page.goto(f"{live_server.url}/review/{reviewed.dataset.slug}/runs/{reviewed.run.pk}/")
    page.wait_for_selector("body[data-charts-ready='1']")
    assert page.locator("#curve-accuracy").bounding_box()["height"] > 100
    page.screenshot(path=str(artifacts_dir / "review-run-curves.png"), full_page=True)

    # the disagreement table, then one of its examples
    page.goto(f"{live_server.url}/review/{reviewed.dataset.slug}/disagreements/?split=test&b=crowd")
    assert page.locator("#disagreements tbody tr[data-example]").count() == 50
    page.screenshot(path=str(artifacts_dir / "review-disagreements.png"), full_page=True)
    page.locator("#disagreements tbody tr[data-example] a").first.click()
    page.wait_for_selector("#human-labels")
    assert page.locator("#human-labels tbody tr").count() >= 4  # the crowd's votes at least
    page.screenshot(path=str(artifacts_dir / "review-example.png"), full_page=True)
    assert not errors, errors
    page.close()


# Read in the page: each chart's resolved Chart.js config, as a user's eye would check it.
CURVE_CONFIG = """(id) => {
  const chart = Chart.getChart(id);
  const x = chart.scales.x, y = chart.scales.y;
  return {
    xType: x.type, yMin: y.min, yPrecision: chart.options.scales.y.ticks.precision,
    yTicks: y.ticks.map((t) => t.value),
    stepped: chart.data.datasets.map((d) => d.stepped), tension: chart.data.datasets.map((d) => d.tension),
    xs: chart.data.datasets.map((d) => d.data.map((p) => p.x)),
    pixels: chart.getDatasetMeta(0).data.map((p) => p.x),
  };
}"""

# Every line of every bar label fits in the y axis: nothing drawn past the canvas's edge.
BAR_LABELS = """(id) => {
  const chart = Chart.getChart(id);
  const y = chart.scales.y;
  const font = Chart.helpers.toFont(y.options.ticks.font).string;
  chart.ctx.save(); chart.ctx.font = font;
  const lines = chart.data.labels.map((l) => [].concat(l));
  const widest = Math.max(...lines.flat().map((line) => chart.ctx.measureText(line).width));
  chart.ctx.restore();
  return { lines: lines, widest: widest, axisWidth: y.width, axisLeft: y.left, ticks: y.ticks.length };
}"""


def test_charts_are_true_to_their_data(browser, live_server, reviewed, admin_user, artifacts_dir, django_user_model):
    """Iterations recorded at 0, 1, 2, 4 … 20, 30 keep their spacing; step lines; counts on whole numbers from 0;
    a long source name wrapped, not cut; the evaluation's conditions not among the label sources."""
    from studio.models import Example, RunEvent
    from tests.review import factories

    ds = reviewed.dataset
    log_run = factories.completed_run(ds, "", accuracy=0.75, seed=9)
    iterations = [0, 1, 2, 4, 8, 12, 16, 20, 30]
    RunEvent.objects.bulk_create([RunEvent(run=log_run, iteration=it, energy=-20.0 + k, accepted_flips=k,
                                           inconsistencies=max(0, 3 - k), labeled_count=8 + k, accuracy=0.5 + k / 40)
                                  for k, it in enumerate(iterations)])
    long_name = "annotator-with-a-rather-long-username-from-the-crowd"
    test_ids = list(Example.objects.filter(dataset=ds, split="test").values_list("pk", flat=True)[:20])
    factories.annotate(ds, [django_user_model.objects.create_user(long_name, password="pw-123456789")], test_ids,
                       accuracy=0.8, seed=4)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, live_server, "boss", "boss-pass-123")
    page.goto(f"{live_server.url}/review/{ds.slug}/")
    page.wait_for_selector("body[data-charts-ready='1']")
    assert page.input_value("form.review-controls select[name=split]") == "test"

    # The sources chart: every name whole (wrapped onto lines), each line inside the axis; no evaluation condition.
    bars = page.evaluate(BAR_LABELS, "accuracy-chart")
    names = page.locator("#sources-table > tbody > tr[data-source] strong").all_text_contents()
    joined = ["".join(lines).replace(" ", "") for lines in bars["lines"]]
    assert joined == [n.replace(" ", "") for n in names], "every character of every name is drawn"
    assert "Crowd votes' majority (imported)" in [" ".join(lines) for lines in bars["lines"]]
    assert bars["ticks"] == len(names), "no label skipped"
    assert bars["widest"] <= bars["axisWidth"] and bars["axisLeft"] >= 0, bars
    assert not any("evaluation" in n or n in ("Zero-shot", "Random labels", "Gold labels") for n in names)
    page.locator("#sources .chart-box").screenshot(path=str(artifacts_dir / "review-sources-chart-wrapped.png"))

    # The dashboard's run chart: linear iterations, step lines, no smoothing.
    dash = page.evaluate(CURVE_CONFIG, f"run-chart-{log_run.pk}")
    assert dash["xType"] == "linear" and set(dash["stepped"]) == {"before"} and set(dash["tension"]) == {0}
    assert dash["xs"][0] == iterations
    page.locator(f'.run-curves[data-run="{log_run.pk}"]').screenshot(path=str(artifacts_dir / "review-dashboard-run-chart.png"))

    # The run's own page: five curves, counts on whole numbers from 0; 20 → 30 is ten times 1 → 2 across.
    page.goto(f"{live_server.url}/review/{ds.slug}/runs/{log_run.pk}/")
    page.wait_for_selector("body[data-charts-ready='1']")
    for canvas in ("curve-energy", "curve-accuracy", "curve-flips", "curve-inconsistencies", "curve-labeled"):
        cfg = page.evaluate(CURVE_CONFIG, canvas)
        assert cfg["xType"] == "linear" and cfg["stepped"] == ["before"] and cfg["tension"] == [0], canvas
        assert cfg["xs"] == [iterations], canvas
        px = cfg["pixels"]
        assert px[8] - px[7] == pytest.approx(10 * (px[2] - px[1]), rel=0.01), canvas
        if canvas in ("curve-flips", "curve-inconsistencies", "curve-labeled"):
            assert cfg["yMin"] == 0 and cfg["yPrecision"] == 0, canvas
            assert all(float(v).is_integer() for v in cfg["yTicks"]), (canvas, cfg["yTicks"])
    page.screenshot(path=str(artifacts_dir / "review-run-curves-linear.png"), full_page=True)
    assert not errors, errors
    page.close()
