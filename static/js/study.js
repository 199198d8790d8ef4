// A study's page: polls the study's state JSON, updates each step's state, summary and the people's progress
// without reloading, and reloads once when a step's state changes (its buttons and the results follow). The PNG
// download draws the page's own SVG (same origin) onto a canvas, so the PNG and the SVG are one drawing.
(function () {
  "use strict";
  const root = document.getElementById("study-live");
  if (!root) return;
  const POLL_MS = 2000;

  function text(el, value) { if (el && el.textContent !== value) el.textContent = value; }

  function peopleRows(tbody, people) {
    if (!tbody) return;
    tbody.replaceChildren(...people.map((p) => {
      const tr = document.createElement("tr");
      [p.username, String(p.labeled), String(p.assigned)].forEach((v, i) => {
        const td = document.createElement("td");
        if (i) td.className = "num";
        td.textContent = v;
        tr.appendChild(td);
      });
      return tr;
    }));
  }

  function apply(snap) {
    text(root.querySelector('[data-field="next"]'), snap.next);
    let changed = false;
    snap.steps.forEach((step) => {
      const li = root.querySelector('[data-step="' + step.key + '"]');
      if (!li) return;
      if (li.dataset.state !== step.state) changed = true;
      text(li.querySelector('[data-field="state"]'), step.state);
      text(li.querySelector('[data-field="summary"]'), step.summary);
      if (step.detail && step.detail.people) peopleRows(li.querySelector('[data-field="people"]'), step.detail.people);
    });
    return changed;
  }

  function poll() {
    fetch(root.dataset.stateUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((snap) => {
        if (apply(snap)) { window.location.reload(); return; }
        // an optional step nobody has opened (a custom study's adjudication) is nothing to wait for
        const finished = snap.steps.every((s) => s.state === "done" || s.state === "not needed" ||
          (s.key === "adjudication" && s.state === "ready"));
        if (!finished) window.setTimeout(poll, POLL_MS);
      })
      .catch(() => window.setTimeout(poll, POLL_MS * 3));
  }
  window.setTimeout(poll, POLL_MS);

  const png = document.getElementById("download-png");
  if (png) {
    png.addEventListener("click", (event) => {
      if (png.dataset.ready) return;  // the second click is the real download
      event.preventDefault();
      const img = new Image();
      img.onload = () => {
        const canvas = document.createElement("canvas");
        const scale = 2;  // crisp on high-density screens
        canvas.width = img.naturalWidth * scale;
        canvas.height = img.naturalHeight * scale;
        const ctx = canvas.getContext("2d");
        ctx.scale(scale, scale);
        ctx.drawImage(img, 0, 0);
        png.href = canvas.toDataURL("image/png");
        png.dataset.ready = "1";
        png.click();
      };
      img.src = png.dataset.svgUrl;
    });
  }
})();
