"""An evaluation's conditions as a table to download (CSV): one row per condition with its measure
(in-context or trained), its numbers (mean ± sd over repeats, 95% interval, n) and how it was made (demonstrations
per prompt, or train items per repeat and the trainer)."""
from __future__ import annotations

import csv
import io

from studio.services.export.writers import neutralize

COLUMNS = ("key", "measure", "kind", "name", "trainer", "reward_model", "mean", "sd", "ci_low", "ci_high", "n",
           "repeats", "n_demos", "n_train", "run_id")


def condition_table(results: dict) -> list[dict]:
    rows = []
    for c in results.get("conditions") or []:
        trained = c.get("measure") == "trained"
        rows.append({"key": c.get("key"), "measure": c.get("measure") or "in-context", "kind": c.get("kind"),
                     "name": c.get("name"), "trainer": c.get("trainer") if trained else "",
                     "reward_model": bool(c.get("reward_model")) if trained else "",
                     "mean": c.get("mean"), "sd": c.get("sd"), "ci_low": c.get("ci_low"), "ci_high": c.get("ci_high"),
                     "n": c.get("n"), "repeats": len(c.get("per_repeat") or []),
                     "n_demos": "" if trained else c.get("n_demos"),
                     "n_train": (c.get("n_train") or [""])[0] if trained else "", "run_id": c.get("run_id")})
    return rows


def results_csv(results: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in condition_table(results):
        writer.writerow(["" if row[c] is None else (neutralize(row[c]) if isinstance(row[c], str) else row[c])
                         for c in COLUMNS])
    return out.getvalue()
