/* Review charts (Chart.js 4, vendored): accuracy by source and run curves (the
   evaluation's chart is in evaluation.js).
   Every chart has a table beside it on the page; this only draws. Reads the JSON the page embeds.
   Run curves: linear iteration axes, step lines per batch, whole-number axes for counts (charts.js). */
(function () {
  "use strict";
  const COLORS = { run: "#2454d6", icm: "#2454d6", people: "#e07b00", crowd: "#b26a00", annotator: "#9ca3af",
    baseline: "#6b7280", "zero-shot": "#9ca3af", random: "#cbd5e1", gold: "#d4a017" };

  // Draws a whisker for each bar from ci[i] = [low, high] (same units as the data).
  const errorBars = {
    id: "errorBars",
    afterDatasetsDraw(chart) {
      const ctx = chart.ctx;
      const horizontal = chart.options.indexAxis === "y";
      chart.data.datasets.forEach((ds, di) => {
        if (!ds.ci) return;
        const meta = chart.getDatasetMeta(di);
        const valueScale = horizontal ? chart.scales.x : chart.scales.y;
        meta.data.forEach((bar, i) => {
          const ci = ds.ci[i];
          if (!ci || ci[0] == null) return;
          const a = valueScale.getPixelForValue(ci[0]), b = valueScale.getPixelForValue(ci[1]);
          const c = horizontal ? bar.y : bar.x;
          ctx.save();
          ctx.strokeStyle = "#111827";
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          if (horizontal) { ctx.moveTo(a, c); ctx.lineTo(b, c); ctx.moveTo(a, c - 5); ctx.lineTo(a, c + 5); ctx.moveTo(b, c - 5); ctx.lineTo(b, c + 5); }
          else { ctx.moveTo(c, a); ctx.lineTo(c, b); ctx.moveTo(c - 6, a); ctx.lineTo(c + 6, a); ctx.moveTo(c - 6, b); ctx.lineTo(c + 6, b); }
          ctx.stroke();
          ctx.restore();
        });
      });
    },
  };

  const pct = (v) => (v == null ? null : 100 * v);
  const base = { animation: false, responsive: true, maintainAspectRatio: false };
  const SC = window.StudioCharts;
  const LABEL_WIDTH = 24;  // characters per line of a bar's label: wrapped, never cut

  function accuracyChart(canvas, sources) {
    const rows = sources.filter((s) => s.accuracy.n > 0);
    if (!canvas || !rows.length) return;
    const labels = rows.map((s) => SC.wrapLabel(s.name, LABEL_WIDTH));
    // bars are evenly spaced: each band is as tall as the tallest (most wrapped) label needs
    const lines = Math.max(...labels.map((l) => (Array.isArray(l) ? l.length : 1)));
    canvas.parentNode.style.height = Math.max(240, 70 + rows.length * (14 + 16 * lines)) + "px";
    new Chart(canvas, {
      type: "bar",
      plugins: [errorBars],
      data: {
        labels: labels,
        datasets: [{ label: "Accuracy against gold (%)", data: rows.map((s) => pct(s.accuracy.accuracy)),
          ci: rows.map((s) => [pct(s.accuracy.ci_low), pct(s.accuracy.ci_high)]),
          backgroundColor: rows.map((s) => COLORS[s.kind] || "#6b7280"), maxBarThickness: 32 }],
      },
      options: { ...base, indexAxis: "y", plugins: { legend: { display: false } },
        scales: { x: { min: 0, max: 100, title: { display: true, text: "accuracy against gold, % (95% CI)" } },
          y: { ticks: { autoSkip: false } } } },
    });
  }

  // One colour per batch; a run of one batch draws one line per quantity.
  const BATCH_COLORS = ["#2454d6", "#1f8a4c", "#b26a00", "#c0392b", "#7b3fb5", "#0f8b8d", "#d6336c", "#5c6b00"];
  const batchColor = (b, i) => BATCH_COLORS[(b.batch === undefined ? i : b.batch) % BATCH_COLORS.length];
  const batchesOf = (run) => (run.batches && run.batches.length ? run.batches : [run]);
  const named = (label, run, b) => (batchesOf(run).length > 1 ? label + ", batch " + b.batch : label);

  // The dashboard's chart of a run: U (left axis) and accuracy against gold (right axis, dashed) by iteration.
  function runChart(canvas, run) {
    if (!canvas || !run.iteration || !run.iteration.length) return;
    const datasets = [];
    const several = batchesOf(run).length > 1;  // several batches: a colour per batch, accuracy dashed
    batchesOf(run).forEach((b, i) => {
      datasets.push(SC.stepLine(named("U", run, b), several ? batchColor(b, i) : "#2454d6",
                                SC.points(b.iteration, b.energy), { yAxisID: "y" }));
      datasets.push(SC.stepLine(named("accuracy against gold (%)", run, b), several ? batchColor(b, i) : "#1f8a4c",
                                SC.points(b.iteration, b.accuracy, pct), { yAxisID: "y1", borderDash: [6, 3] }));
    });
    new Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: { ...base, interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: { x: SC.iterationAxis("iteration"), y: { title: { display: true, text: "U" } },
          y1: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "accuracy %" } } } },
    });
  }

  // A run page's chart of one quantity, one step line per batch; `count`: a whole-number axis from 0.
  function singleCurve(canvas, run, field, label, color, opts) {
    if (!canvas || !run.iteration.length) return;
    opts = opts || {};
    const several = batchesOf(run).length > 1;
    const datasets = batchesOf(run).map((b, i) => SC.stepLine(named(label, run, b), several ? batchColor(b, i) : color,
                                                              SC.points(b.iteration, b[field], opts.scale)));
    const y = opts.count ? SC.countAxis(label) : Object.assign({ title: { display: true, text: label } }, opts.y || {});
    new Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: { ...base, interaction: { mode: "nearest", axis: "x", intersect: false },
        plugins: { legend: { display: several }, title: { display: true, text: label } },
        scales: { x: SC.iterationAxis("iteration"), y: y } },
    });
  }

  function dashboard(data) {
    accuracyChart(document.getElementById("accuracy-chart"), data.sources);
    data.runs.forEach((run) => runChart(document.getElementById("run-chart-" + run.run_id), run));
  }

  function runPage(run) {
    singleCurve(document.getElementById("curve-energy"), run, "energy", "U = α·P(D) − I(D)", "#2454d6");
    singleCurve(document.getElementById("curve-accuracy"), run, "accuracy", "accuracy against gold (%)", "#1f8a4c",
                { scale: pct, y: { min: 0, max: 100 } });
    singleCurve(document.getElementById("curve-flips"), run, "accepted_flips", "accepted flips", "#e07b00", { count: true });
    singleCurve(document.getElementById("curve-inconsistencies"), run, "inconsistencies", "inconsistencies", "#c0392b",
                { count: true });
    singleCurve(document.getElementById("curve-labeled"), run, "labeled_count", "labeled examples", "#7b3fb5",
                { count: true });
  }

  function init() {
    if (typeof Chart === "undefined") return;
    const d = document.getElementById("review-data");
    if (d) dashboard(JSON.parse(d.textContent));
    const r = document.getElementById("run-curves-data");
    if (r) runPage(JSON.parse(r.textContent));
    document.body.dataset.chartsReady = "1";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
