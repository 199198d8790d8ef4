// Chart.js settings that keep the studio's charts true to their data, shared by the run page and the review
// pages: iterations on a linear axis (recorded iterations 0, 1, 2, 4 … 30 keep their real spacing), counts on
// whole-number axes from 0, a search's states drawn as steps (a value holds until the next recorded iteration;
// no smoothing, so no overshoot), and long category labels wrapped onto lines rather than cut.
window.StudioCharts = (function () {
  "use strict";

  function iterationAxis(title) {
    return { type: "linear", min: 0, title: { display: true, text: title }, ticks: { precision: 0 } };
  }

  function countAxis(title, extra) {
    return Object.assign({ type: "linear", min: 0, beginAtZero: true, title: { display: true, text: title },
                           ticks: { precision: 0 } }, extra || {});
  }

  // One series of {x: iteration, y} points: the state after each iteration, held until the next point.
  // A gap (null) stays a gap: nothing is drawn where nothing was measured. While a series is short its recorded
  // points are marked, so the last one (drawn as the step's rise) reads as a value too.
  function stepLine(label, color, data, extra) {
    return Object.assign({ label: label, data: data, borderColor: color, backgroundColor: color, stepped: "before",
                           tension: 0, borderWidth: 2, spanGaps: false,
                           pointRadius: (ctx) => (ctx.dataset.data.length > MARKED_POINTS ? 0 : 2.5) }, extra || {});
  }
  const MARKED_POINTS = 60;

  // {x, y} points from parallel arrays, y optionally mapped (nulls kept as gaps).
  function points(xs, ys, map) {
    return xs.map((x, i) => ({ x: x, y: ys[i] === null || ys[i] === undefined ? null : (map ? map(ys[i]) : ys[i]) }));
  }

  // A label as lines of at most `width` characters, broken at spaces; a word longer than a line is split over
  // lines of its own. Every character stays: Chart.js draws an array of strings as a multi-line label.
  function wrapLabel(text, width) {
    const lines = [];
    let line = "";
    String(text).split(" ").forEach((word) => {
      while (word.length > width) {  // a long word (a username, a URL): its own lines, cut nowhere else
        if (line) { lines.push(line); line = ""; }
        lines.push(word.slice(0, width));
        word = word.slice(width);
      }
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    });
    if (line || !lines.length) lines.push(line);
    return lines.length === 1 ? lines[0] : lines;
  }

  return { iterationAxis: iterationAxis, countAxis: countAxis, stepLine: stepLine, points: points,
           wrapLabel: wrapLabel };
})();
