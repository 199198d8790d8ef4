"""CPU time that a loaded machine does not inflate: this process's plus its PostgreSQL backend's, read from /proc
(so only when the server runs on this machine; None otherwise). On a shared machine wall times stretch several-fold
while waiting for a core; the CPU spent per request stays close to what a quiet machine's wall time would be (it
leaves out disk waits such as a commit's flush)."""
from __future__ import annotations

import os
import time
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
_LOCAL = ("", "localhost", "127.0.0.1", "::1")
_pids: dict[int, int] = {}


def _backend_stat() -> Path | None:
    from django.db import connection

    if connection.vendor != "postgresql" or connection.settings_dict.get("HOST", "") not in _LOCAL:
        return None
    connection.ensure_connection()
    key = id(connection.connection)
    if key not in _pids:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            _pids[key] = cur.fetchone()[0]
    return Path(f"/proc/{_pids[key]}/stat")


def cpu_seconds() -> float | None:
    """This process's CPU seconds plus its database backend's; None where the backend's cannot be read."""
    stat = _backend_stat()
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split() if stat else None
    except OSError:
        fields = None
    if not fields:
        return None
    return time.process_time() + (int(fields[11]) + int(fields[12])) / _TICK
