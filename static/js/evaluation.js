/* The evaluation part of the review dashboard (Chart.js 4, vendored): the conditions' test accuracy (mean over
   repeats, 95% interval whiskers) as horizontal bars whose labels wrap instead of being cut; the pair picker that
   shows the stored paired comparison of any two conditions as a sentence; and a poll that reloads the page when
   a pending or running evaluation finishes. The tables beside them hold every number. */
(function () {
  "use strict";
  const COLORS = { icm: "#2454d6", people: "#e07b00", crowd: "#b26a00", "zero-shot": "#9ca3af",
    "zero-shot-chat": "#6b7280", model: "#7c3aed", random: "#cbd5e1", gold: "#d4a017" };
  const pct = (v) => (v == null ? null : 100 * v);

  // Whiskers from ci[i] = [low, high] on a horizontal bar chart.
  const whiskers = {
    id: "whiskers",
    afterDatasetsDraw(chart) {
      const ctx = chart.ctx, x = chart.scales.x;
      chart.data.datasets.forEach((ds, di) => {
        chart.getDatasetMeta(di).data.forEach((bar, i) => {
          const ci = ds.ci && ds.ci[i];
          if (!ci || ci[0] == null) return;
          const a = x.getPixelForValue(ci[0]), b = x.getPixelForValue(ci[1]), y = bar.y;
          ctx.save();
          ctx.strokeStyle = "#111827"; ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(a, y); ctx.lineTo(b, y); ctx.moveTo(a, y - 5); ctx.lineTo(a, y + 5); ctx.moveTo(b, y - 5); ctx.lineTo(b, y + 5);
          ctx.stroke(); ctx.restore();
        });
      });
    },
  };

  // A long name as lines of at most `width` characters (Chart.js draws an array label as lines).
  function wrap(text, width) {
    const lines = [];
    let line = "";
    text.split(/\s+/).forEach((word) => {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    });
    if (line) lines.push(line);
    return lines;
  }

  function chart(canvas, bars) {
    if (!canvas || !bars.length || typeof Chart === "undefined") return;
    canvas.parentNode.style.height = Math.max(240, 80 + 44 * bars.length) + "px";
    new Chart(canvas, {
      type: "bar",
      plugins: [whiskers],
      data: {
        labels: bars.map((b) => wrap(b.name + (b.n_demos ? " (" + b.n_demos + " demos)" : "")
          + (b.measure === "trained" && b.n_train ? " (trained on " + b.n_train[0] + ")" : ""), 22)),
        datasets: [{ label: "Test accuracy, mean over repeats (%)", data: bars.map((b) => pct(b.mean)),
          ci: bars.map((b) => [pct(b.ci_low), pct(b.ci_high)]),
          backgroundColor: bars.map((b) => COLORS[b.kind] || "#2454d6") }],
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false, indexAxis: "y",
        plugins: { legend: { display: false }, title: { display: true, text: "Test accuracy by condition (n = " + (bars[0].n || 0) + " items each)" } },
        scales: { x: { type: "linear", min: 0, max: 100, title: { display: true, text: "test accuracy, % (95% CI)" } },
          y: { ticks: { autoSkip: false } } } },
    });
  }

  function picker(form, comparisons) {
    if (!form) return;
    const out = document.getElementById("pair-sentence");
    const show = () => {
      const a = form.elements.a.value, b = form.elements.b.value;
      if (a === b) { out.textContent = "Pick two different conditions."; return; }
      const same = comparisons.find((c) => c.a === a && c.b === b);
      const reversed = comparisons.find((c) => c.a === b && c.b === a);
      out.textContent = same ? same.sentence : reversed ? reversed.sentence_reversed : "";
    };
    form.addEventListener("change", show);
    form.addEventListener("submit", (e) => e.preventDefault());
    show();
  }

  function poll(section) {
    const state = document.getElementById("evaluation-state");
    if (!section || !state || !["pending", "running"].includes(state.dataset.state)) return;
    const url = section.dataset.statusUrl;
    const tick = () => fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((body) => {
        const ev = body.evaluation;
        if (!ev || String(ev.id) !== state.dataset.evaluation || !["pending", "running"].includes(ev.state)) {
          window.location.reload();
          return;
        }
        if (ev.progress) state.textContent = "Evaluation " + ev.id + " is " + ev.state + " (" + ev.progress.done + " of " +
          ev.progress.total + " scoring passes; now " + ev.progress.now + "). This page updates when it finishes.";
        setTimeout(tick, 2000);
      })
      .catch(() => setTimeout(tick, 5000));
    setTimeout(tick, 2000);
  }

  function init() {
    const d = document.getElementById("review-data");
    const data = d ? JSON.parse(d.textContent) : null;
    if (data && data.comparison) {
      chart(document.getElementById("evaluation-chart"), data.comparison.bars);
      picker(document.getElementById("pair-picker"), data.comparison.comparisons);
    }
    poll(document.getElementById("comparison"));
    document.body.dataset.evaluationReady = "1";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
