/* The blind adjudication page: fetch the next item as JSON, render it like the labeling page does (text only,
   never HTML), answer by keyboard (t/1, f/2, s, n for a note). The item carries nothing about its origin. */
(function () {
  "use strict";
  const root = document.getElementById("adjudicate");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const urls = { next: root.dataset.nextUrl, label: root.dataset.labelUrl, skip: root.dataset.skipUrl };
  const box = $("adj-example");
  const doneBox = $("adj-done-box");
  const note = $("adj-note");
  const statusLine = $("adj-status");
  const buttons = [$("adj-true"), $("adj-false"), $("adj-skip")];
  let current = null;
  let busy = false;

  async function call(url, body) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
        body: JSON.stringify(body || {}),
      });
    } catch (err) {
      throw new Error("Could not reach the studio. Check your connection and try again.");
    }
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    if (!response.ok) throw new Error((data && data.error) || "The studio answered " + response.status + ".");
    return data;
  }

  function say(text, kind) {
    statusLine.textContent = text || "";
    statusLine.className = "ann-status" + (kind ? " " + kind : "");
  }

  function block(item) {
    const div = document.createElement("div");
    div.className = "ann-block";
    const title = document.createElement("div");
    title.className = "ann-block-title";
    title.textContent = item.title;
    const text = document.createElement("div");
    text.className = "ann-text";
    text.textContent = item.text;
    div.append(title, text);
    return div;
  }

  function render(data) {
    current = data && data.item ? data : null;
    box.replaceChildren();
    note.value = "";
    if (!current) {
      box.hidden = true;
      doneBox.hidden = false;
      box.removeAttribute("data-item");
      buttons.forEach((b) => (b.disabled = true));
      return;
    }
    box.hidden = false;
    doneBox.hidden = true;
    buttons.forEach((b) => (b.disabled = false));
    box.dataset.item = String(current.item);
    const ex = current.example;
    ex.top.forEach((item) => box.append(block(item)));
    if (ex.layout === "pair" && ex.pair.length) {
      const pair = document.createElement("div");
      pair.className = "ann-pair";
      ex.pair.forEach((item) => pair.append(block(item)));
      box.append(pair);
    }
  }

  function progress(p) {
    if (!p) return;
    $("adj-mine").textContent = p.mine;
    $("adj-done").textContent = p.adjudicated;
    $("adj-budget").textContent = p.budget;
  }

  async function run(action, message) {
    if (busy) return;
    busy = true;
    try {
      await action();
      const data = await call(urls.next);
      render(data);
      progress(data.progress);
      if (message) say(message);
    } catch (err) {
      say(err.message, "error");
    } finally {
      busy = false;
    }
  }

  function answer(label) {
    if (!current) return;
    const item = current.item;
    return run(() => call(urls.label, { item: item, label: label, note: note.value }),
               "Saved " + (label ? "True" : "False") + ".");
  }

  function skip() {
    if (!current) return;
    const item = current.item;
    return run(() => call(urls.skip, { item: item }), "Skipped.");
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    if (e.target === note) {
      if (e.key === "Escape") { e.preventDefault(); note.blur(); }
      return;
    }
    const act = { t: () => answer(true), 1: () => answer(true), f: () => answer(false), 2: () => answer(false),
                  s: skip, n: () => note.focus() }[e.key.length === 1 ? e.key.toLowerCase() : e.key];
    if (act) { e.preventDefault(); act(); }
  });
  $("adj-true").addEventListener("click", () => answer(true));
  $("adj-false").addEventListener("click", () => answer(false));
  $("adj-skip").addEventListener("click", skip);
  run(async () => {});
})();
