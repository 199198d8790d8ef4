/* The labeling page: fetch the next example as JSON, render it, answer with the keyboard (t/1, f/2, s, u, g, ?).
   Example text is inserted with textContent only, never as HTML. */
(function () {
  "use strict";
  const root = document.getElementById("annotate");
  if (!root) return;

  const $ = (id) => document.getElementById(id);
  const urls = {
    next: root.dataset.nextUrl,
    label: root.dataset.labelUrl,
    skip: root.dataset.skipUrl,
    undo: root.dataset.undoUrl,
  };
  const csrfToken = root.dataset.csrf;
  const intro = $("ann-intro");
  const work = $("ann-work");
  const exampleBox = $("ann-example");
  const doneBox = $("ann-done");
  const statusLine = $("ann-status");
  const keysDialog = $("ann-keys");
  const guidelinesDialog = $("ann-guidelines");
  const answerButtons = [$("ann-true"), $("ann-false"), $("ann-skip")];

  let current = null; // the example shown: {id, layout, top, pair}
  let shownAt = 0; // performance.now() when it appeared
  let busy = false;
  let started = !intro;

  async function call(url, body) {
    const options = { credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrfToken;
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, options);
    } catch (err) {
      throw new Error("Could not reach the studio. Check your connection and try again.");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = null;
    }
    if (!response.ok) {
      throw new Error((data && data.error) || "The studio answered " + response.status + ".");
    }
    return data;
  }

  function say(text, kind) {
    statusLine.textContent = text || "";
    statusLine.className = "ann-status" + (kind ? " " + kind : "");
  }

  function block(item) {
    const div = document.createElement("div");
    div.className = "ann-block";
    div.dataset.field = item.field;
    const title = document.createElement("div");
    title.className = "ann-block-title";
    title.textContent = item.title;
    const text = document.createElement("div");
    text.className = "ann-text";
    text.textContent = item.text;
    div.append(title, text);
    return div;
  }

  function render(example) {
    current = example;
    exampleBox.replaceChildren();
    if (!example) {
      exampleBox.hidden = true;
      doneBox.hidden = false;
      exampleBox.removeAttribute("data-example-id");
      answerButtons.forEach((b) => (b.disabled = true));
      return;
    }
    exampleBox.hidden = false;
    doneBox.hidden = true;
    answerButtons.forEach((b) => (b.disabled = false));
    exampleBox.dataset.exampleId = String(example.id);
    example.top.forEach((item) => exampleBox.append(block(item)));
    if (example.layout === "pair" && example.pair.length) {
      const pair = document.createElement("div");
      pair.className = "ann-pair";
      example.pair.forEach((item) => pair.append(block(item)));
      exampleBox.append(pair);
    }
    shownAt = performance.now();
  }

  function renderProgress(p) {
    if (!p) return;
    $("ann-mine").textContent = p.mine;
    $("ann-skipped").textContent = p.skipped;
    $("ann-percent").textContent = p.percent;
    $("ann-labels").textContent = p.labels;
    $("ann-needed").textContent = p.needed;
    $("ann-bar").firstElementChild.style.width = p.percent + "%";
  }

  function elapsed() {
    return Math.round(performance.now() - shownAt) / 1000;
  }

  async function run(action) {
    if (busy) return;
    busy = true;
    root.classList.add("ann-busy");
    try {
      const data = await action();
      if (data) {
        render(data.example);
        renderProgress(data.progress);
      }
    } catch (err) {
      say(err.message, "error");
    } finally {
      busy = false;
      root.classList.remove("ann-busy");
    }
  }

  function answer(label) {
    if (!current) return;
    const example = current;
    return run(async () => {
      const data = await call(urls.label, { example: example.id, label: label, seconds: elapsed() });
      say("Saved " + (label ? "True" : "False") + " (" + data.saved.seconds.toFixed(1) + " s).");
      return data;
    });
  }

  function skipCurrent() {
    if (!current) return;
    const example = current;
    return run(async () => {
      const data = await call(urls.skip, { example: example.id, seconds: elapsed() });
      say("Skipped.");
      return data;
    });
  }

  function undo() {
    return run(async () => {
      const data = await call(urls.undo, {});
      say("Undid your " + (data.undone.label ? "True" : "False") + ". Label this example again.");
      return data;
    });
  }

  function start() {
    if (started) return;
    started = true;
    if (intro) intro.hidden = true;
    work.hidden = false;
    run(() => call(urls.next, {}));
  }

  function toggle(dialog) {
    if (!dialog) return;
    if (dialog.open) dialog.close();
    else {
      [keysDialog, guidelinesDialog].forEach((d) => d && d.open && d.close());
      dialog.showModal();
    }
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    const tag = (e.target && e.target.tagName) || "";
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || (e.target && e.target.isContentEditable)) return;
    const key = e.key;
    const dialogOpen = (keysDialog && keysDialog.open) || (guidelinesDialog && guidelinesDialog.open);
    if (key === "?") {
      e.preventDefault();
      toggle(keysDialog);
      return;
    }
    if (key === "g" && guidelinesDialog) {
      e.preventDefault();
      toggle(guidelinesDialog);
      return;
    }
    if (dialogOpen) return; // Esc closes it (the browser's own dialog handling)
    if (!started) {
      if (key === "Enter") {
        e.preventDefault();
        start();
      }
      return;
    }
    const actions = {
      t: () => answer(true),
      1: () => answer(true),
      f: () => answer(false),
      2: () => answer(false),
      s: skipCurrent,
      u: undo,
    };
    const act = actions[key.length === 1 ? key.toLowerCase() : key];
    if (act) {
      e.preventDefault();
      act();
    }
  });

  function onClick(id, fn) {
    const el = $(id);
    if (el)
      el.addEventListener("click", (e) => {
        e.currentTarget.blur(); // so Enter/Space don't re-press it
        fn();
      });
  }
  onClick("ann-true", () => answer(true));
  onClick("ann-false", () => answer(false));
  onClick("ann-skip", skipCurrent);
  onClick("ann-undo", undo);
  onClick("ann-start", start);
  onClick("ann-show-keys", () => toggle(keysDialog));
  onClick("ann-show-guidelines", () => toggle(guidelinesDialog));

  if (started) run(() => call(urls.next, {})); // a POST with the CSRF token: it reserves the example
})();
