"""A throwaway database for a benchmark: created beside DATABASE_URL's on the same server (through its
maintenance database, so the base one need not exist), migrated, the default connection pointed at it, and
dropped afterwards whatever happens. With BENCH_TEMPLATE_DATABASE naming an already migrated database on that
server (the smoke test makes one per session, so that each script does not migrate its own), it is a copy of that
one instead (CREATE DATABASE ... TEMPLATE: no other session may be connected to the template meanwhile)."""
from __future__ import annotations

import os
from contextlib import contextmanager

TEMPLATE_ENV = "BENCH_TEMPLATE_DATABASE"


@contextmanager
def scratch_database(suffix: str):
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    base = settings.DATABASES["default"]["NAME"]
    name = f"{base}_{suffix}"
    template = os.environ.get(TEMPLATE_ENV)
    with connection._nodb_cursor() as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    connection.close()
    settings.DATABASES["default"]["NAME"] = name
    try:
        if not template:
            call_command("migrate", verbosity=0)
        yield name
    finally:
        connection.close()
        settings.DATABASES["default"]["NAME"] = base
        with connection._nodb_cursor() as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}"')
