"""Recount every aggregate kept on write (per-example vote counts, per-split tallies) from scratch and report
any difference; --fix stores the recount. Exit status 1 when a difference was found (and not fixed)."""
from django.core.management.base import BaseCommand, CommandError

from studio.models import Dataset
from studio.services import tallies


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("datasets", nargs="*", help="dataset slugs (default: every dataset)")
        parser.add_argument("--fix", action="store_true", help="replace what differs with the recount")

    def handle(self, *args, datasets=(), fix: bool = False, **options):
        slugs = list(datasets)
        datasets = Dataset.objects.order_by("pk")
        if slugs:
            datasets = datasets.filter(slug__in=slugs)
            missing = sorted(set(slugs) - set(datasets.values_list("slug", flat=True)))
            if missing:
                raise CommandError(f"no dataset with slug {', '.join(missing)}")
        differing = 0
        for dataset in datasets:
            diff = tallies.check(dataset)
            if not diff:
                self.stdout.write(f"{dataset.slug}: every aggregate matches a recount")
                continue
            differing += 1
            for line in diff.lines():
                self.stdout.write(line)
            if fix:
                cells = tallies.rebuild(dataset)
                self.stdout.write(f"{dataset.slug}: recounted ({cells} cells stored)")
        if differing and not fix:
            raise CommandError(f"{differing} dataset(s) differ from a recount; run with --fix to store the recount",
                               returncode=1)
