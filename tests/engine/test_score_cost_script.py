"""benchmarks/score_cost.py at a tiny size on the bundled model: it runs, its scores agree with the naive way,
and its last line is the one scripts read. (It measures nothing here; the figures come from larger runs.)"""
from __future__ import annotations

import re

from .commands import run_python, small_env


def test_score_cost_prints_per_mode_lines_and_the_summary_line_last():
    r = run_python("benchmarks/score_cost.py", "--sizes", "8", "--more-folds", "2", "--order-floor", timeout=900,
                   env=small_env(threads=1))
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    for mode in ("exact", "folds", "folds2", "blocks"):
        assert any(f"score_cost n=8 mode={mode} eval=change " in line for line in lines), mode
    assert any(re.match(r"score_cost n=8 reference=exact-shuffled-order pearson=-?\d", line) for line in lines)
    last = lines[-1]
    assert re.fullmatch(
        r"score_cost n=8 exact_tokens_ratio=[\d.]+ folds_tokens_ratio=[\d.]+ folds_seconds_ratio=[\d.]+ "
        r"folds_pearson=-?[\d.]+ blocks_tokens_ratio=[\d.]+ blocks_seconds_ratio=[\d.]+ blocks_pearson=-?[\d.]+",
        last), last
    # a re-evaluation after one change costs folds fewer tokens than the naive way
    assert float(re.search(r"folds_tokens_ratio=([\d.]+)", last).group(1)) > 1
