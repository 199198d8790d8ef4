// A run's live page: polls the run's progress JSON, updates the totals, the grid of batches (state, iteration,
// labeled, U, coverage, time left) and the curves (U, accuracy against gold, labeled examples, accepted flips and
// inconsistencies by iteration, one step line per batch; see charts.js) without reloading, and shows the labels
// and their accuracy when the run ends.
(function () {
  "use strict";
  const root = document.getElementById("run-live");
  if (!root) return;
  const progressUrl = root.dataset.progressUrl;
  const resultsUrl = root.dataset.resultsUrl;
  const POLL_MS = 1000;
  const COLORS = ["#2454d6", "#1f8a4c", "#b26a00", "#c0392b", "#7b3fb5", "#0f8b8d", "#d6336c", "#5c6b00",
                  "#6b7280", "#8a4b08"];
  let lastEventId = null;  // the cursor: the id of the last event drawn
  let timer = null;

  const SC = window.StudioCharts;

  // A chart of one quantity by iteration within the batch (a linear axis), one step line per batch.
  function lineChart(canvasId, yTitle, yAxis) {
    const canvas = document.getElementById(canvasId);
    if (!canvas || typeof Chart === "undefined" || !SC) return null;
    return new Chart(canvas, {
      type: "line",
      data: { datasets: [] },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
        scales: { x: SC.iterationAxis("iteration within the batch"),
                  y: yAxis || { title: { display: true, text: yTitle } } },
        plugins: { legend: { display: true }, title: { display: true, text: yTitle },
                   tooltip: { intersect: false, mode: "nearest", axis: "x" } },
      },
    });
  }

  const energyChart = lineChart("chart-energy", "U = α·P(D) − I(D)");
  const accuracyChart = lineChart("chart-accuracy", "accuracy against gold (labeled so far)",
                                  { min: 0, max: 1, title: { display: true, text: "accuracy against gold" },
                                    ticks: { callback: (v) => Math.round(v * 100) + "%" } });
  const labeledChart = lineChart("chart-labeled", "labeled examples", SC && SC.countAxis("labeled examples"));
  const flipsChart = lineChart("chart-flips", "accepted flips", SC && SC.countAxis("accepted flips"));
  const inconsistencyChart = lineChart("chart-inconsistencies", "inconsistencies",
                                       SC && SC.countAxis("inconsistencies"));
  const charts = [energyChart, accuracyChart, labeledChart, flipsChart, inconsistencyChart].filter(Boolean);

  // One dataset per batch, kept in batch order: the state after each recorded iteration, held until the next
  // (step lines, no smoothing).
  function datasetFor(chart, batch) {
    let ds = chart.data.datasets.find((d) => d.batch === batch);
    if (!ds) {
      ds = SC.stepLine("batch " + batch, COLORS[batch % COLORS.length], [], { batch: batch });
      chart.data.datasets.push(ds);
      chart.data.datasets.sort((a, b) => a.batch - b.batch);
    }
    return ds;
  }

  function addPoint(chart, batch, x, y) {
    if (!chart || y === null || y === undefined) return;
    const data = datasetFor(chart, batch).data;
    // A batch resumed from its checkpoint replays the iterations after it: its new points replace the old.
    while (data.length && data[data.length - 1].x >= x) data.pop();
    data.push({ x: x, y: y });
  }

  function addEvents(events) {
    events.forEach((e) => {
      addPoint(energyChart, e.batch, e.iteration, e.energy);
      addPoint(accuracyChart, e.batch, e.iteration, e.accuracy);
      addPoint(labeledChart, e.batch, e.iteration, e.labeled_count);
      addPoint(flipsChart, e.batch, e.iteration, e.accepted_flips);
      addPoint(inconsistencyChart, e.batch, e.iteration, e.inconsistencies);
      lastEventId = e.id;
    });
    // A dataset without consistency constraints has no inconsistencies to draw: its chart stays hidden.
    const box = document.getElementById("chart-inconsistencies-box");
    if (box && inconsistencyChart && inconsistencyChart.data.datasets.length) box.hidden = false;
    if (events.length) charts.forEach((chart) => chart.update());
  }

  function field(name) { return root.querySelectorAll('[data-field="' + name + '"]'); }
  function setText(name, value) { field(name).forEach((el) => { el.textContent = value; }); }
  function fmt(value, digits) {
    if (value === null || value === undefined) return "–";
    return typeof value === "number" && digits !== undefined ? value.toFixed(digits) : String(value);
  }
  function pct(value) { return value === null || value === undefined ? "–" : (value * 100).toFixed(1) + "%"; }
  function duration(seconds) {
    const s = Math.round(seconds);
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    if (s < 86400) return Math.floor(s / 3600) + " h " + Math.round((s % 3600) / 60) + " min";
    return Math.floor(s / 86400) + " d " + Math.round((s % 86400) / 3600) + " h";
  }
  function eta(seconds) {
    if (seconds === null || seconds === undefined) return "estimating…";
    return seconds <= 0 ? "–" : "about " + duration(seconds);
  }

  // What the batch is doing, in words: its phase while it is pending or running, else how it ended.
  function batchState(b) {
    if (b.state === "pending" || b.state === "running") return b.phase_label;
    return b.state_label;
  }

  function cell(row, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  function batchRow(b) {
    const tr = document.createElement("tr");
    tr.dataset.batch = b.index;
    tr.dataset.state = b.state;
    tr.dataset.phase = b.phase;
    tr.className = "batch-" + b.state + " phase-" + b.phase;
    const finished = b.state !== "pending" && b.state !== "running";
    cell(tr, b.index, "num");
    const state = cell(tr, batchState(b), "batch-state");
    if (b.state === "running" && b.worker) state.title = "on " + b.worker;
    cell(tr, b.iteration + " / " + fmt(b.iterations), "num");
    cell(tr, b.labeled_count + " / " + b.example_count, "num");
    cell(tr, fmt(b.energy, 3), "num");
    cell(tr, finished ? fmt(b.unlabeled_after_search) : "–", "num");
    cell(tr, finished ? String(b.filled_count) : "–", "num");
    cell(tr, finished ? "–" : eta(b.eta_seconds), "num batch-eta");
    const notes = [];
    if (b.attempts > 1) notes.push(b.attempts + " deliveries (resumed from its checkpoint)");
    if (b.coverage_warning && !finished) notes.push("too few iterations to visit every example");
    const td = cell(tr, notes.join("; "), "batch-notes");
    if (b.error) {
      const err = document.createElement("div");
      err.className = "error";
      err.textContent = b.error;
      td.appendChild(err);
    }
    return tr;
  }

  function renderBatches(batches) {
    const body = document.querySelector("#batch-grid tbody");
    if (!body) return;
    body.replaceChildren(...batches.map(batchRow));
  }

  // "1 loading the model · batch 0 scoring the initial labels: 12,400 of ~36,000 tokens · 3 waiting for a
  // worker": what the workers are doing right now, a searching batch by its stage (tokens as they accrue).
  function nowLine(s) {
    const counts = {};
    const stages = [];
    s.batches.forEach((b) => {
      if (b.stage) stages.push((s.batch_count > 1 ? "batch " + b.index + " " : "") + b.stage.text);
      else if (b.state === "pending" || b.state === "running") {
        counts[b.phase_label] = (counts[b.phase_label] || 0) + 1;
      }
    });
    const parts = stages.concat(Object.keys(counts).map((label) => counts[label] + " " + label.toLowerCase()));
    return s.active && parts.length ? "Now: " + parts.join(" · ") : "";
  }

  function heartbeat(s) {
    if (!s.active || s.heartbeat_age_s === null || s.heartbeat_age_s === undefined) return "";
    return "last heartbeat " + Math.max(0, Math.round(s.heartbeat_age_s)) + " s ago";
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
    setText("batches_done", s.batches_done);
    setText("batch_count", s.batch_count);
    setText("eta", s.active ? (s.cancel_requested ? "stopping" : eta(s.eta_seconds)) : "–");
    setText("now", nowLine(s));
    setText("heartbeat", heartbeat(s));
    setText("energy", fmt(s.energy, 3));
    setText("accuracy", pct(s.accuracy));
    setText("labeled_count", s.labeled_count);
    setText("example_count", s.example_count);
    setText("true_count", fmt(s.true_count));
    setText("false_count", fmt(s.false_count));
    setText("filled_count", s.filled_count);
    setText("accepted_flips", s.accepted_flips);
    setText("inconsistencies", fmt(s.inconsistencies));
    setText("tokens_used", s.tokens_used.toLocaleString());
    setText("seconds_used", fmt(s.seconds_used, 1));
    setText("attempts", s.attempts);
    setText("started_at", s.started_at ? s.started_at.replace("T", " ").slice(0, 19) : "–");
    setText("finished_at", s.finished_at ? s.finished_at.replace("T", " ").slice(0, 19) : "–");
    field("coverage_warning").forEach((el) => { el.hidden = !s.coverage_warning; });
    if (s.coverage_warning) setText("coverage_warning_text", s.coverage_warning);
    const bar = field("bar")[0];
    if (bar && s.iterations) bar.style.width = Math.min(100, (100 * s.iteration) / s.iterations) + "%";
    const tb = field("true_bar")[0], fb = field("false_bar")[0];
    if (tb && fb && s.example_count) {
      tb.style.width = (100 * (s.true_count || 0)) / s.example_count + "%";
      fb.style.width = (100 * (s.false_count || 0)) / s.example_count + "%";
      tb.title = (s.true_count || 0) + " True"; fb.title = (s.false_count || 0) + " False";
    }
    field("error").forEach((el) => { el.textContent = s.error; el.hidden = !s.error; });
    field("cancel_note").forEach((el) => { el.hidden = !(s.cancel_requested && s.active); });
    renderBatches(s.batches);
    if (!s.active) {
      const cancel = document.getElementById("cancel-form");
      if (cancel) cancel.remove();
    }
    root.dataset.active = s.active ? "1" : "0";
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
      const url = progressUrl + (lastEventId === null ? "" : "?after=" + lastEventId);
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      snapshot = await response.json();
    } catch (err) {
      timer = setTimeout(poll, POLL_MS * 3);  // a hiccup (server restart): keep trying, more slowly
      return;
    }
    addEvents(snapshot.events);
    render(snapshot);
    if (snapshot.more_events) {
      timer = setTimeout(poll, 0);  // a long run's history comes in pages: fetch the rest at once
    } else if (snapshot.active) {
      timer = setTimeout(poll, POLL_MS);
    } else {
      await showResults();
      root.dataset.done = "1";
    }
  }

  poll();
  window.addEventListener("beforeunload", () => clearTimeout(timer));
})();
