"""A throwaway database for a benchmark: created beside DATABASE_URL's on the same server (through its
maintenance database, so the base one need not exist), migrated, the default connection pointed at it, and
dropped afterwards whatever happens."""
from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def scratch_database(suffix: str):
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    base = settings.DATABASES["default"]["NAME"]
    name = f"{base}_{suffix}"
    with connection._nodb_cursor() as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    settings.DATABASES["default"]["NAME"] = name
    try:
        call_command("migrate", verbosity=0)
        yield name
    finally:
        connection.close()
        settings.DATABASES["default"]["NAME"] = base
        with connection._nodb_cursor() as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}"')
