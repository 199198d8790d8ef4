"""`make demo`: prepare everything once, then run the web server and a Celery worker until Ctrl-C."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from studio.services import demo_setup


class Command(BaseCommand):
    help = "Set up the embedded demo (database, presets, accounts, model) and run web + worker."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--setup-only", action="store_true", help="Prepare everything, start nothing.")
        parser.add_argument("--presets", nargs="*", default=None, help="Load only these presets (default: all).")

    def handle(self, *args, port, setup_only, presets, **options):
        var_dir = Path(settings.VAR_DIR)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        loaded = demo_setup.ensure_presets(presets, stdout=self.stdout)
        if loaded:
            self.stdout.write(f"Loaded presets: {', '.join(loaded)}")
        accounts = demo_setup.ensure_accounts(var_dir)
        demo_setup.ensure_annotator_memberships()
        if setup_only:
            return
        self._run(port, accounts)

    def _run(self, port, accounts):
        env = dict(os.environ)
        env.setdefault("HF_HUB_OFFLINE", "1")
        python = sys.executable
        celery = str(Path(python).with_name("celery"))
        procs = [
            subprocess.Popen([python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], env=env),
            # solo pool: the task runs in the worker process itself, so stopping (or killing) it leaves no pool
            # child behind still scoring a batch; one batch at a time is what --concurrency 1 gave anyway
            subprocess.Popen([celery, "-A", "studio", "worker", "-Q", "gpu,default", "--concurrency", "1", "-P", "solo",
                              "--loglevel", "WARNING"], env=env),
        ]
        self.stdout.write(self.style.SUCCESS(f"\nICM Studio is running at http://127.0.0.1:{port}/"))
        for account in accounts:
            self.stdout.write(f"  {account['role']:<10} {account['username']:<12} password: {account['password']}")
        self.stdout.write("  (passwords are kept in var/demo_accounts.json)  Ctrl-C stops both processes.\n")

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(p.poll() is None for p in procs):
            time.sleep(0.5)
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        self.stdout.write("Stopped.")
