"""`open_adjudication DATASET [--split S] [--source-a KEY] [--source-b KEY] [--budget N] [--share 0.8]
[--half-width 0.05] [--seed S]`: draw an adjudication's blind sample (by default the newest completed ICM run
against the people's majority) and print what was drawn. A refusal names the option and exits 1, changing nothing."""
from django.core.management.base import BaseCommand, CommandError

from studio.services import adjudication
from studio.services.refusals import Refusal

from .evaluate import _dataset

# command-line option -> the adjudication service's option
OPTIONS = {"split": "split", "source_a": "source_a", "source_b": "source_b", "budget": "budget",
           "share": "share_disagreements", "half_width": "target_half_width", "seed": "seed"}


class Command(BaseCommand):
    help = "Open a blind expert adjudication of where two label sources disagree."

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="Dataset slug or id.")
        parser.add_argument("--split", help="Default: the review's default split.")
        parser.add_argument("--source-a", dest="source_a", help="run:N, people, crowd or annotator:N "
                            "(default: the newest completed ICM run on the split).")
        parser.add_argument("--source-b", dest="source_b", help="Default: people (crowd without studio votes).")
        parser.add_argument("--budget", help=f"Items to draw (default {adjudication.DEFAULTS['budget']}).")
        parser.add_argument("--share", help="Share drawn from the disagreements (default 0.8).")
        parser.add_argument("--half-width", dest="half_width", help="Wanted ± on the difference (default 0.05).")
        parser.add_argument("--seed", help="Seed of the draws (default 0).")

    def handle(self, *args, **opts):
        dataset = _dataset(opts["dataset"])
        options = {OPTIONS[k]: opts[k] for k in OPTIONS if opts.get(k) is not None}
        try:
            adj = adjudication.open_adjudication(dataset, options)
        except Refusal as refusal:
            raise CommandError(f"{refusal.field or 'adjudication'}: {refusal}" if refusal.field and
                               refusal.field not in str(refusal) else str(refusal)) from None
        d = adj.items.filter(stratum="disagree").count()
        self.stdout.write(f"Adjudication {adj.pk} on {dataset.slug} / {adj.split}: {adj.name_a} against {adj.name_b}; "
                          f"{adj.n_items} items both label, {adj.n_disagree} disagreements; drew {adj.budget} "
                          f"({d} disagreements, {adj.budget - d} agreements), seed {adj.seed}.")
        self.stdout.write(f"Adjudicators answer at /adjudicate/{adj.pk}/; the estimate is on the review dashboard "
                          f"and at /api/adjudications/{adj.pk}/.")
