"""Streaming export vs building the same export in memory, on 200,000 elicited labels.

Creates a throwaway database (the test database of DATABASE_URL's, suffixed _export_bench; SQLite in memory
without DATABASE_URL), fills one dataset with N examples and a completed run labeling all of them, then in
one process:

1. streams `export_run(run, "jsonl", "labels")` (what GET /api/runs/{id}/export/ sends) and times it;
2. streams it again under tracemalloc: peak Python memory above the start = mem_growth_mb;
3. builds the same body the naive way — every row fetched into a list, every line into a list, joined —
   under tracemalloc: list_mem_growth_mb.

RSS growth of each is printed too (sampled from /proc). The last line is machine-readable:
    export_stream rows=200000 rows_per_s=R mem_growth_mb=M list_mem_growth_mb=L

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icm_api .venv/bin/python benchmarks/export_stream.py [--smoke]

Needs `make install` only. --smoke (or BENCH_SMOKE=1): 300 rows, a few seconds.
"""
import argparse
import gc
import json
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + os.urandom(16).hex())

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks._support import smoke  # noqa: E402

MB = 1024 * 1024


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RssPeak:
    """Samples RSS every few milliseconds in a thread; .growth = peak − RSS at start."""

    def __enter__(self):
        self.start = self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())
        self.growth = self.peak - self.start


def populate(n: int):
    from studio.models import Dataset, ElicitationRun, ElicitedLabel, Example

    template = "Question: {question}\nClaim: {choice}\nI think this claim is"
    dataset = Dataset.objects.create(name="Export benchmark", slug="export-benchmark", prompt_template=template,
                                     display_fields=["question", "choice"])
    run = ElicitationRun.objects.create(dataset=dataset, state="completed", fingerprint="export-benchmark",
                                        example_count=n, labeled_count=n)
    batch = 5000
    for start in range(0, n, batch):
        examples = []
        for i in range(start, min(start + batch, n)):
            fields = {"question": f"Which statement about item {i} is accurate, all things considered?",
                      "choice": f"Item {i} is described correctly by answer {i % 7}, which cites its source."}
            examples.append(Example(dataset=dataset, external_id=f"ex-{i}", split="train" if i % 5 else "test",
                                    position=i, fields=fields, prompt=template.format(**fields)))
        created = Example.objects.bulk_create(examples)
        ElicitedLabel.objects.bulk_create(
            [ElicitedLabel(run=run, example_id=e.pk, label=e.position % 3 != 0,
                           score=((e.position % 97) / 10.0) * (1 if e.position % 3 else -1),
                           # about one in ten filled after the search, in batches of 256, as a studio run writes
                           kind=ElicitedLabel.Kind.FILLED if e.position % 10 == 9 else ElicitedLabel.Kind.ELICITED,
                           batch=e.position // 256) for e in created])
    return run


def consume(chunks) -> tuple[int, int]:
    rows = size = 0
    for chunk in chunks:
        rows += chunk.count("\n")
        size += len(chunk)
    return rows, size


def naive_body(run) -> str:
    """The export built in memory: all rows fetched at once into a list, all lines into a list, joined."""
    from studio.services.export import ExportFilters, sources
    from studio.services.export.styles import Record, Shape

    # the same columns as the streamed export, whatever the run's rows carry after the five example columns
    extra = (*sources.RUN_COLUMNS, *sources.RUN_TAGS)
    shape = Shape(run.dataset, "labels", sources.RUN_COLUMNS, tags=sources.RUN_TAGS)
    fetched = list(sources.run_queryset(run, ExportFilters()))
    lines = [json.dumps(shape.row(Record(*row[:5], dict(zip(extra, row[5:], strict=True)))), ensure_ascii=False,
                        default=str) for row in fetched]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    smoke.add_flag(parser)
    args = parser.parse_args()
    smoke.apply(parser, args, rows=300)

    from studio.services.export import export_run

    db = settings.DATABASES["default"]
    original_name = db["NAME"]
    db.setdefault("TEST", {})
    if not db["ENGINE"].endswith("sqlite3"):
        db["TEST"]["NAME"] = f"{db['NAME']}_export_bench"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        t0 = time.perf_counter()
        run = populate(args.rows)
        print(f"populated {args.rows:,} examples and labels in {time.perf_counter() - t0:.1f}s "
              f"({connection.vendor})", flush=True)

        gc.collect()
        with RssPeak() as rss_stream:
            t0 = time.perf_counter()
            rows, size = consume(export_run(run, "jsonl", "labels"))
            seconds = time.perf_counter() - t0
        assert rows == args.rows, f"streamed {rows} rows, expected {args.rows}"
        print(f"streamed: {rows:,} rows, {size / MB:.1f} MB of JSONL in {seconds:.2f}s "
              f"= {rows / seconds:,.0f} rows/s; RSS growth {rss_stream.growth / MB:.1f} MB", flush=True)

        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        consume(export_run(run, "jsonl", "labels"))
        stream_peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()

        gc.collect()
        with RssPeak() as rss_list:
            t0 = time.perf_counter()
            body = naive_body(run)
            list_seconds = time.perf_counter() - t0
            list_rows = body.count("\n")
            del body
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        body = naive_body(run)
        list_peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        del body
        assert list_rows == args.rows
        print(f"in memory: {list_rows:,} rows in {list_seconds:.2f}s = {list_rows / list_seconds:,.0f} rows/s; "
              f"RSS growth {rss_list.growth / MB:.1f} MB", flush=True)
        print(f"python heap peak (tracemalloc): streamed {stream_peak / MB:.1f} MB, in memory {list_peak / MB:.1f} MB "
              f"({list_peak / max(stream_peak, 1):.0f}x)", flush=True)
        print(f"export_stream rows={rows} rows_per_s={rows / seconds:.0f} mem_growth_mb={stream_peak / MB:.1f} "
              f"list_mem_growth_mb={list_peak / MB:.1f}")
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)


if __name__ == "__main__":
    main()
