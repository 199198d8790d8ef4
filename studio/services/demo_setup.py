"""Everything `make demo` prepares before it starts the processes. Idempotent: a second run reuses it all."""
import json
import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from studio.models import Dataset, Membership

ACCOUNTS_FILE = "demo_accounts.json"
DEMO_USERS = [("admin", True), ("annotator1", False), ("annotator2", False)]


def ensure_accounts(var_dir: Path) -> list[dict]:
    """Create the admin and two annotators once; their generated passwords are kept in var/."""
    path = var_dir / ACCOUNTS_FILE
    saved = json.loads(path.read_text()) if path.exists() else {}
    User = get_user_model()
    accounts = []
    for username, is_admin in DEMO_USERS:
        password = saved.get(username) or secrets.token_urlsafe(9)
        user, created = User.objects.get_or_create(username=username)
        if created or not user.check_password(password):
            user.set_password(password)
        user.is_staff = user.is_superuser = is_admin
        user.save()
        saved[username] = password
        accounts.append({"username": username, "password": password, "role": "admin" if is_admin else "annotator"})
    var_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(saved, indent=2))
    path.chmod(0o600)
    return accounts


def ensure_presets(names: list[str] | None = None, stdout=None) -> list[str]:
    """Load every bundled preset (or the named ones) that is not in the database yet."""
    from studio.services.importing.presets import PRESETS

    unknown = sorted(set(names or []) - set(PRESETS))
    if unknown:
        raise ValueError(f"Unknown preset(s): {', '.join(unknown)}. Known: {', '.join(PRESETS)}.")
    loaded = []
    for name in names if names is not None else PRESETS:
        if not Dataset.objects.filter(preset=name).exists():
            call_command("import_dataset", name, stdout=stdout)
            loaded.append(name)
    return loaded


@transaction.atomic
def ensure_annotator_memberships() -> None:
    User = get_user_model()
    annotators = User.objects.filter(username__in=[u for u, admin in DEMO_USERS if not admin])
    for dataset in Dataset.objects.all():
        for user in annotators:
            Membership.objects.get_or_create(user=user, dataset=dataset, role=Membership.Role.ANNOTATOR)
