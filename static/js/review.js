/* Review charts (Chart.js 4, vendored): accuracy by source, the paper's comparison bars and run curves.
   Every chart has a table beside it on the page; this only draws. Reads the JSON the page embeds. */
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

  function accuracyChart(canvas, sources) {
    const rows = sources.filter((s) => s.accuracy.n > 0);
    if (!canvas || !rows.length) return;
    canvas.parentNode.style.height = Math.max(240, 70 + 30 * rows.length) + "px";
    new Chart(canvas, {
      type: "bar",
      plugins: [errorBars],
      data: {
        labels: rows.map((s) => s.name),
        datasets: [{ label: "Accuracy against gold (%)", data: rows.map((s) => pct(s.accuracy.accuracy)),
          ci: rows.map((s) => [pct(s.accuracy.ci_low), pct(s.accuracy.ci_high)]),
          backgroundColor: rows.map((s) => COLORS[s.kind] || "#6b7280") }],
      },
      options: { ...base, indexAxis: "y", plugins: { legend: { display: false } },
        scales: { x: { min: 0, max: 100, title: { display: true, text: "accuracy against gold, % (95% CI)" } } } },
    });
  }

  function comparisonChart(canvas, bars) {
    if (!canvas || !bars.length) return;
    new Chart(canvas, {
      type: "bar",
      plugins: [errorBars],
      data: {
        labels: bars.map((b) => b.name),
        datasets: [{ label: "Test accuracy (%)", data: bars.map((b) => pct(b.accuracy)),
          ci: bars.map((b) => [pct(b.ci_low), pct(b.ci_high)]),
          backgroundColor: bars.map((b) => COLORS[b.kind] || "#2454d6") }],
      },
      options: { ...base, plugins: { legend: { display: false }, title: { display: true, text: "Many-shot test accuracy by demonstration labels" } },
        scales: { y: { min: 0, max: 100, title: { display: true, text: "test accuracy, % (95% CI)" } } } },
    });
  }

  function line(label, data, color, axis) {
    return { label, data, borderColor: color, backgroundColor: color, yAxisID: axis, pointRadius: 0, borderWidth: 2, spanGaps: true };
  }

  function runChart(canvas, run) {
    if (!canvas || !run.iteration || !run.iteration.length) return;
    new Chart(canvas, {
      type: "line",
      data: { labels: run.iteration, datasets: [line("U (score)", run.energy, "#2454d6", "y"),
        line("accuracy against gold (%)", run.accuracy.map(pct), "#1f8a4c", "y1")] },
      options: { ...base, interaction: { mode: "index", intersect: false },
        scales: { x: { title: { display: true, text: "iteration" } }, y: { title: { display: true, text: "U" } },
          y1: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "accuracy %" } } } },
    });
  }

  function singleCurve(canvas, run, field, label, color, scale) {
    if (!canvas || !run.iteration.length) return;
    const data = scale ? run[field].map(scale) : run[field];
    new Chart(canvas, {
      type: "line",
      data: { labels: run.iteration, datasets: [line(label, data, color, "y")] },
      options: { ...base, plugins: { legend: { display: false }, title: { display: true, text: label } },
        scales: { x: { title: { display: true, text: "iteration" } } } },
    });
  }

  function dashboard(data) {
    accuracyChart(document.getElementById("accuracy-chart"), data.sources);
    if (data.comparison) comparisonChart(document.getElementById("comparison-chart"), data.comparison.bars);
    data.runs.forEach((run) => runChart(document.getElementById("run-chart-" + run.run_id), run));
  }

  function runPage(run) {
    singleCurve(document.getElementById("curve-energy"), run, "energy", "U = α·P(D) − I(D)", "#2454d6");
    singleCurve(document.getElementById("curve-accuracy"), run, "accuracy", "accuracy against gold (%)", "#1f8a4c", pct);
    singleCurve(document.getElementById("curve-flips"), run, "accepted_flips", "accepted flips", "#e07b00");
    singleCurve(document.getElementById("curve-inconsistencies"), run, "inconsistencies", "inconsistencies", "#c0392b");
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
