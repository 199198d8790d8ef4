// A run's live page: polls the run's progress JSON, updates the numbers and the curves (U and accuracy against
// gold by iteration) without reloading, and shows the elicited labels when the run ends.
(function () {
  "use strict";
  const root = document.getElementById("run-live");
  if (!root) return;
  const progressUrl = root.dataset.progressUrl;
  const resultsUrl = root.dataset.resultsUrl;
  const POLL_MS = 1000;
  let lastIteration = null;
  let attempts = null;
  let timer = null;

  function lineChart(canvasId, label, color, yOptions) {
    const canvas = document.getElementById(canvasId);
    if (!canvas || typeof Chart === "undefined") return null;
    return new Chart(canvas, {
      type: "line",
      data: { datasets: [{ label: label, data: [], borderColor: color, backgroundColor: color,
                           pointRadius: 0, borderWidth: 2, tension: 0.15 }] },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
        scales: { x: { type: "linear", title: { display: true, text: "iteration" } }, y: yOptions || {} },
        plugins: { legend: { display: true }, tooltip: { intersect: false, mode: "index" } },
      },
    });
  }

  const energyChart = lineChart("chart-energy", "U = α·P(D) − I(D)", "#2454d6");
  const accuracyChart = lineChart("chart-accuracy", "accuracy against gold (labeled so far)", "#1f8a4c",
                                  { min: 0, max: 1, ticks: { callback: (v) => Math.round(v * 100) + "%" } });

  function field(name) { return root.querySelectorAll('[data-field="' + name + '"]'); }
  function setText(name, value) { field(name).forEach((el) => { el.textContent = value; }); }
  function fmt(value, digits) {
    if (value === null || value === undefined) return "–";
    return typeof value === "number" && digits !== undefined ? value.toFixed(digits) : String(value);
  }
  function pct(value) { return value === null || value === undefined ? "–" : (value * 100).toFixed(1) + "%"; }

  function resetCharts() {
    [energyChart, accuracyChart].forEach((c) => { if (c) { c.data.datasets[0].data = []; c.update(); } });
    lastIteration = null;
  }

  function addEvents(events) {
    if (!events.length) return;
    events.forEach((e) => {
      if (energyChart && e.energy !== null) energyChart.data.datasets[0].data.push({ x: e.iteration, y: e.energy });
      if (accuracyChart && e.accuracy !== null) accuracyChart.data.datasets[0].data.push({ x: e.iteration, y: e.accuracy });
      lastIteration = e.iteration;
    });
    if (energyChart) energyChart.update();
    if (accuracyChart) accuracyChart.update();
  }

  function render(s) {
    const stateEl = field("state_label")[0];
    if (stateEl) {
      stateEl.textContent = s.state_label;
      stateEl.dataset.state = s.state;
      stateEl.className = "run-state state-" + s.state;
    }
    setText("iteration", s.iteration);
    setText("iterations", fmt(s.iterations));
    setText("energy", fmt(s.energy, 3));
    setText("accuracy", pct(s.accuracy));
    setText("labeled_count", s.labeled_count);
    setText("example_count", s.example_count);
    setText("true_count", fmt(s.true_count));
    setText("false_count", fmt(s.false_count));
    setText("accepted_flips", s.accepted_flips);
    setText("inconsistencies", fmt(s.inconsistencies));
    setText("tokens_used", s.tokens_used.toLocaleString());
    setText("seconds_used", fmt(s.seconds_used, 1));
    setText("attempts", s.attempts);
    setText("started_at", s.started_at ? s.started_at.replace("T", " ").slice(0, 19) : "–");
    setText("finished_at", s.finished_at ? s.finished_at.replace("T", " ").slice(0, 19) : "–");
    const bar = field("bar")[0];
    if (bar && s.iterations) bar.style.width = Math.min(100, (100 * s.iteration) / s.iterations) + "%";
    const total = (s.true_count || 0) + (s.false_count || 0);
    const tb = field("true_bar")[0], fb = field("false_bar")[0];
    if (tb && fb && s.example_count) {
      tb.style.width = (100 * (s.true_count || 0)) / s.example_count + "%";
      fb.style.width = (100 * (s.false_count || 0)) / s.example_count + "%";
      tb.title = (s.true_count || 0) + " True"; fb.title = (s.false_count || 0) + " False";
    }
    field("error").forEach((el) => { el.textContent = s.error; el.hidden = !s.error; });
    field("cancel_note").forEach((el) => { el.hidden = !(s.cancel_requested && s.active); });
    if (!s.active) {
      const cancel = document.getElementById("cancel-form");
      if (cancel) cancel.remove();
    }
    root.dataset.active = s.active ? "1" : "0";
    root.dataset.total = total;
  }

  async function showResults() {
    const box = document.getElementById("results");
    if (!box) return;
    const response = await fetch(resultsUrl, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (response.ok) box.innerHTML = await response.text();
  }

  async function poll() {
    let snapshot;
    try {
      const url = progressUrl + (lastIteration === null ? "" : "?after=" + lastIteration);
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      snapshot = await response.json();
    } catch (err) {
      timer = setTimeout(poll, POLL_MS * 3);  // a hiccup (server restart): keep trying, more slowly
      return;
    }
    if (attempts !== null && snapshot.attempts !== attempts) {
      // Another worker resumed the run from its checkpoint: redraw the curves from the stored events.
      resetCharts();
      attempts = snapshot.attempts;
      timer = setTimeout(poll, 0);
      return;
    }
    attempts = snapshot.attempts;
    addEvents(snapshot.events);
    render(snapshot);
    if (snapshot.active) {
      timer = setTimeout(poll, POLL_MS);
    } else {
      await showResults();
      root.dataset.done = "1";
    }
  }

  poll();
  window.addEventListener("beforeunload", () => clearTimeout(timer));
})();
