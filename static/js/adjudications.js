/* The dashboard's adjudications section: poll each adjudication's estimate and update its numbers in place, so
   the verdict, the interval and n follow the expert's answers without a reload. Text only, never HTML. */
(function () {
  "use strict";
  const boxes = document.querySelectorAll(".adjudication[data-estimate-url]");
  if (!boxes.length) return;
  const pct = (x) => (x === null || x === undefined ? "—" : (100 * x).toFixed(1) + "%");
  const pts = (x) => (x === null || x === undefined ? "—" : (x >= 0 ? "+" : "") + (100 * x).toFixed(1));
  const ci = (r) => (r.ci_low === null ? "" : "[" + (100 * r.ci_low).toFixed(1) + ", " + (100 * r.ci_high).toFixed(1) + "]");

  function set(box, field, text) {
    const el = box.querySelector('[data-field="' + field + '"]');
    if (el && el.textContent !== text) el.textContent = text;
  }

  async function refresh(box) {
    let data;
    try {
      const response = await fetch(box.dataset.estimateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      data = await response.json();
    } catch (err) {
      return;
    }
    const r = data.estimate;
    set(box, "verdict", r.verdict);
    set(box, "diff", pts(r.difference.estimate));
    set(box, "diff-ci", "[" + pts(r.difference.ci_low) + ", " + pts(r.difference.ci_high) + "] points");
    set(box, "acc-a", pct(r.accuracy.a.estimate));
    set(box, "acc-a-ci", ci(r.accuracy.a));
    set(box, "acc-b", pct(r.accuracy.b.estimate));
    set(box, "acc-b-ci", ci(r.accuracy.b));
    set(box, "n", String(r.adjudicated));
    set(box, "n-d", String(r.counts.d_adjudicated));
    set(box, "n-g", String(r.counts.g_adjudicated));
    set(box, "more", String(r.plan.more_total));
    set(box, "more-d", String(r.plan.more_disagreements));
  }

  function tick() {
    if (!document.hidden) boxes.forEach(refresh);
  }
  setInterval(tick, 3000);
})();
