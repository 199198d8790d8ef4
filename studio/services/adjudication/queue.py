"""Handing items to adjudicators and recording their answers. An item is claimed under a row lock (FOR UPDATE
SKIP LOCKED) so two adjudicators never hold the same one; each item takes one expert label (the database keeps
the sample's items unique), so no more labels than the budget exist. What an adjudicator receives is the item as
annotators see it (studio.services.annotation.example_payload) and the item's id: never which source said what,
the stratum, the weight, a score or gold."""
from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from studio.models import Adjudication, AdjudicationItem, AdjudicationSkip
from studio.services.annotation import example_payload
from studio.services.refusals import CONFLICT, NOT_FOUND

from . import access
from .errors import AdjudicationError

MAX_NOTE = 2000


def progress(adj: Adjudication, user) -> dict:
    done = adj.items.filter(expert_label__isnull=False)
    return {"adjudicated": done.count(), "budget": adj.budget, "mine": done.filter(adjudicator=user).count()}


def payload(item: AdjudicationItem) -> dict:
    return {"item": item.pk, "example": example_payload(item.example)}


def next_item(adj: Adjudication, user) -> dict:
    """The adjudicator's next item (their own unexpired claim first, else the first free one in the shuffled
    order), claimed for the dataset's claim time; {"item": None} when none is left for them."""
    access.require_adjudicator(user, adj)
    now = timezone.now()
    ttl = timedelta(seconds=adj.dataset.claim_ttl_seconds)
    with transaction.atomic():
        open_items = adj.items.filter(expert_label__isnull=True).exclude(skips__adjudicator=user)
        item = (open_items.filter(claimed_by=user).select_for_update(skip_locked=True, of=("self",))
                .order_by("order").first())
        if item is None:  # nothing held: the first free one in the shuffled order another worker isn't taking
            item = (open_items.filter(Q(claimed_by__isnull=True) | Q(claim_expires_at__lte=now))
                    .select_for_update(skip_locked=True, of=("self",)).order_by("order").first())
        if item is None:
            return {"item": None, "example": None, "progress": progress(adj, user)}
        item.claimed_by, item.claim_expires_at = user, now + ttl
        item.save(update_fields=["claimed_by", "claim_expires_at"])
    return {**payload(item), "progress": progress(adj, user)}


def _locked_item(adj: Adjudication, user, item_id) -> AdjudicationItem:
    if isinstance(item_id, bool) or not isinstance(item_id, int) or not 0 < item_id < 2**63:
        raise AdjudicationError(f"item must be the item's id (a whole number); got {item_id!r}", "item")
    item = adj.items.select_for_update(of=("self",)).filter(pk=item_id).first()
    if item is None:
        raise AdjudicationError(f"adjudication {adj.pk} has no item {item_id}", "item", kind=NOT_FOUND)
    if item.expert_label is not None:
        raise AdjudicationError(f"item {item_id} is already adjudicated", "item", kind=CONFLICT)
    if item.claimed_by_id not in (None, user.pk) and item.claim_expires_at and item.claim_expires_at > timezone.now():
        raise AdjudicationError(f"item {item_id} is being adjudicated by someone else", "item", kind=CONFLICT)
    return item


def record(adj: Adjudication, user, item_id, label, note: str = "") -> dict:
    """Store the expert's label (and note) on the item; refusals name the input at fault."""
    access.require_adjudicator(user, adj)
    if not isinstance(label, bool):
        raise AdjudicationError(f"label must be true or false; got {label!r}", "label")
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise AdjudicationError(f"note must be text of at most {MAX_NOTE} characters", "note")
    with transaction.atomic():
        item = _locked_item(adj, user, item_id)
        item.expert_label, item.note, item.adjudicator, item.labeled_at = label, note.strip(), user, timezone.now()
        item.claimed_by = item.claim_expires_at = None
        item.save(update_fields=["expert_label", "note", "adjudicator", "labeled_at", "claimed_by",
                                 "claim_expires_at"])
    return {"saved": {"item": item.pk}, "progress": progress(adj, user)}


def skip(adj: Adjudication, user, item_id) -> dict:
    """The adjudicator passes on the item: it goes back to the others, never to them again."""
    access.require_adjudicator(user, adj)
    with transaction.atomic():
        item = _locked_item(adj, user, item_id)
        AdjudicationSkip.objects.get_or_create(item=item, adjudicator=user)
        if item.claimed_by_id == user.pk:
            item.claimed_by = item.claim_expires_at = None
            item.save(update_fields=["claimed_by", "claim_expires_at"])
    return {"skipped": {"item": item.pk}, "progress": progress(adj, user)}

