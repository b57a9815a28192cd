"""Shopify connector writes (docs/shopify.md): stores, webhook deliveries and applying them.

A delivery is stored as received (the webhook answers once that row is committed) and applied
off the request path by a task. Applying maps Shopify's order to an order document
(orders.integrations.shopify.mapping) and writes it through orders_import, the one way orders
are written, so a local cancellation is kept like on any import.
"""

from __future__ import annotations

import contextlib
import logging
import re
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import task

from orders.documents import RawRecord
from orders.integrations.shopify import mapping
from orders.models import ShopifyOrder, ShopifyStore, WebhookDelivery
from orders.services import bulk, validation
from orders.services.imports import ImportResult, WritePace, import_prepared, orders_import
from orders.services.transactions import (
    lost_lock_race,
    redoable_writes,
    retrying,
    synced_after_commit,
)

logger = logging.getLogger("ercdash.shopify")

Outcome = WebhookDelivery.Outcome

ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/cancelled", "orders/paid"})
FULFILLMENT_TOPICS = frozenset({"fulfillments/create", "fulfillments/update"})
REFUND_TOPICS = frozenset({"refunds/create"})
TOPICS = ORDER_TOPICS | FULFILLMENT_TOPICS | REFUND_TOPICS

# A shop's own domain: <name>.myshopify.com (or a custom domain Shopify sends in the header).
_DOMAIN_RE = re.compile(r"^(?=.{4,255}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# Apply attempts that found the database busy are retried this long (the task then fails and
# the delivery stays `received`, to be reprocessed).
APPLY_RETRY_SECONDS = 30.0
# A drain takes up to this many deliveries at a time and writes their orders together.
APPLY_BATCH = 200
# Folding a batch again because another drain changed one of its orders meanwhile: at most
# this many times, then the last fold is recorded as it is.
FOLD_ATTEMPTS = 5
# A backfill reads, maps and writes this many orders at a time.
BACKFILL_CHUNK = 500
# A drain queued this long ago and not started is not waited for: another one is enqueued
# (the first may have been lost between a commit and its enqueue).
DRAIN_TRUSTED_FOR = timedelta(seconds=30)


# A delivery still `received` this long after it came was lost on its way to the worker.
STRANDED_AFTER = timedelta(minutes=10)


class InvalidStore(ValueError):
    pass


# --- Stores ---------------------------------------------------------------------------------


def normalize_domain(domain: str) -> str:
    return domain.strip().lower()


def valid_domain(domain: str) -> bool:
    return bool(_DOMAIN_RE.match(domain))


def store_register(*, domain: str, brand: str, secret: str) -> ShopifyStore:
    """Register a shop whose webhooks are signed with this secret; InvalidStore if not valid."""
    domain = normalize_domain(domain)
    if not valid_domain(domain):
        raise InvalidStore("The domain is not a shop domain (e.g. casa-lisboa.myshopify.com).")
    if not brand.strip():
        raise InvalidStore("The brand is empty.")
    if not secret.strip():
        raise InvalidStore("The secret is empty.")
    if ShopifyStore.objects.filter(domain=domain).exists():
        raise InvalidStore("This shop is already registered.")
    return ShopifyStore.objects.create(domain=domain, brand=brand.strip(), secret=secret.strip())


def store_secret_rotate(*, store: ShopifyStore, secret: str) -> ShopifyStore:
    """Make `secret` the signing secret; the old one stays accepted until the rotation ends."""
    secret = secret.strip()
    if not secret:
        raise InvalidStore("The secret is empty.")
    if secret != store.secret:
        # A second rotation before the first ended keeps the newest old secret only.
        store.previous_secret = store.secret
        store.secret = secret
        store.rotated_at = timezone.now()
        store.save(update_fields=["secret", "previous_secret", "rotated_at"])
    return store


def store_rotation_end(*, store: ShopifyStore) -> ShopifyStore:
    """Stop accepting the secret that was replaced by the last rotation."""
    store.previous_secret = ""
    store.save(update_fields=["previous_secret"])
    return store


# --- Receiving ------------------------------------------------------------------------------


def _order_ref(topic: str, payload: dict[str, Any]) -> str:
    value = payload.get("id") if topic in ORDER_TOPICS else payload.get("order_id")
    return str(value)[:32] if isinstance(value, int | str) and str(value) else ""


def delivery_receive(
    *, store: ShopifyStore, topic: str, webhook_id: str, payload: dict[str, Any]
) -> WebhookDelivery:
    """Store a signed delivery durably and have it applied after the commit (_drain_request).

    The unique constraint on (store, webhook id) decides what is a repeat, so two copies of one
    delivery arriving together are applied once: the loser is recorded as `duplicate`.
    Deliveries of a topic ercdash does not apply are recorded as `ignored`, without the payload.
    """
    known = topic in TOPICS
    delivery = WebhookDelivery(
        store=store,
        topic=topic,
        webhook_id=webhook_id,
        payload=payload if known else {},
        order_ref=_order_ref(topic, payload) if known else "",
    )
    if not known:
        delivery.outcome = Outcome.IGNORED
        delivery.reason = "ercdash does not apply this topic."
    elif _holds_nul(payload):
        # PostgreSQL cannot store it; answering 500 would have Shopify retry it for two days
        # and then drop the subscription.
        delivery.outcome = Outcome.FAILED
        delivery.payload = {}
        delivery.reason = "The payload holds a NUL character (\\u0000); not stored or applied."

    def insert() -> None:
        delivery.pk = None
        with transaction.atomic():
            delivery.save(force_insert=True)
        if delivery.outcome == Outcome.RECEIVED:
            _drain_request(store_id=store.pk)

    try:
        # Durable before it is answered, without holding the write lock for the fsync.
        with synced_after_commit():
            retrying(insert)
    except IntegrityError:
        first = WebhookDelivery.objects.filter(store=store, webhook_id=webhook_id).exclude(
            outcome=Outcome.DUPLICATE
        )
        delivery = WebhookDelivery.objects.create(
            store=store,
            topic=topic,
            webhook_id=webhook_id,
            order_ref=delivery.order_ref,
            outcome=Outcome.DUPLICATE,
            reason=f"Repeats delivery {first.values_list('pk', flat=True).first()}; not applied.",
        )
    return delivery


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


# --- Applying -------------------------------------------------------------------------------
#
# A store's deliveries are applied by a drain task in batches, oldest first. A batch is
# claimed in one short transaction, folded per Shopify order in memory (each delivery gets the
# outcome it would get applied alone, in order), each order it touches is mapped once, and all
# of them are written by one orders_import call, which writes in short transactions of its
# own. The outcomes and the orders' states are then recorded in one more short transaction.
# No transaction holds the write lock for long, so the webhook's inserts never wait long.


def _drain_request(*, store_id: int) -> None:
    """Have the store's received deliveries applied: a drain is enqueued after the commit,
    unless one is queued already (apply_queued_at, cleared when a drain starts)."""
    now = timezone.now()
    claimed = (
        ShopifyStore.objects.filter(pk=store_id)
        .filter(Q(apply_queued_at__isnull=True) | Q(apply_queued_at__lt=now - DRAIN_TRUSTED_FOR))
        .update(apply_queued_at=now)
    )
    if claimed:
        transaction.on_commit(lambda: _drain_enqueue(store_id=store_id))


def _drain_enqueue(*, store_id: int) -> None:
    # The delivery is committed whatever happens here: a failed enqueue must not fail the
    # answer (Shopify would send the delivery again, as a duplicate). Undo the queued mark
    # instead, so the next delivery enqueues a drain (and purge_webhook_deliveries, from
    # cron, catches a store that gets none).
    try:
        retrying(lambda: deliveries_apply_task.enqueue(store_id=store_id))
    except Exception as exc:
        logger.error("Could not queue the Shopify deliveries of store %s: %s", store_id, exc)
        with contextlib.suppress(DatabaseError):
            ShopifyStore.objects.filter(pk=store_id).update(apply_queued_at=None)


@task()
def deliveries_apply_task(store_id: int) -> int:
    """Apply a store's received webhook deliveries (enqueued after a delivery's commit)."""
    return deliveries_apply(store_id=store_id)


def deliveries_apply(*, store_id: int) -> int:
    """Apply every delivery of the store still `received`, oldest first, in batches; how many.

    The queued mark is cleared before the first look, so a delivery committed after that
    look enqueues another drain: none is left behind. Two drains of one store at once (two
    workers) share the work: each claims deliveries the other has not.
    """
    ShopifyStore.objects.filter(pk=store_id, apply_queued_at__isnull=False).update(
        apply_queued_at=None
    )
    count = 0
    # The deliveries were stored durably when they were answered; what applying them
    # writes can be written again (a lost outcome leaves them received, applied again).
    with redoable_writes():
        while claimed := retrying(lambda: _claim(store_id=store_id)):
            count += len(_batch_apply(claimed))
    return count


def delivery_apply(*, delivery_id: int) -> str:
    """Apply one delivery still `received` now; its outcome. Applying again changes nothing."""
    claimed = retrying(lambda: _claim(delivery_id=delivery_id))
    if not claimed:
        outcome = WebhookDelivery.objects.filter(pk=delivery_id).values_list("outcome", flat=True)
        return outcome.first() or "gone"  # done before, or purged
    return _batch_apply(claimed).get(delivery_id, "gone")


def _claim(*, store_id: int | None = None, delivery_id: int | None = None) -> list[int]:
    """Take the next received deliveries (up to APPLY_BATCH, oldest first) for this drain;
    their ids.

    The claim is claimed_at, committed at once, so the batch is applied outside any
    long transaction and another drain never takes it (on PostgreSQL it skips the rows this
    one is claiming). A drain that dies leaves its batch claimed: deliveries_requeue_stranded
    (purge_webhook_deliveries) hands it out again.
    """
    pending = WebhookDelivery.objects.select_for_update(skip_locked=True).filter(
        outcome=Outcome.RECEIVED
    )
    if delivery_id is not None:
        pending = pending.filter(pk=delivery_id)  # asked for by name: taken even if claimed
    else:
        pending = pending.filter(store_id=store_id, claimed_at__isnull=True)
    ids = list(pending.order_by("id").values_list("pk", flat=True)[:APPLY_BATCH])
    if ids:
        WebhookDelivery.objects.filter(pk__in=ids).update(claimed_at=timezone.now())
    return ids


@dataclass
class _Folded:
    """One Shopify order of a batch: its state as stored and what the batch makes of it."""

    state: ShopifyOrder  # a copy of the stored state (or a new one), folded in memory
    seen: tuple[Any, ...]  # the stored state the batch was folded on (_snapshot)
    # Deliveries applied when the order's document is written (or failed if it is refused).
    producers: list[int] = field(default_factory=list)
    # Fulfillments and refunds of an order not seen yet: `waiting`, kept in the state.
    waiting: list[int] = field(default_factory=list)
    document: dict[str, Any] | None = None
    problem: str = ""  # why the document could not be written; fails the producers
    unexpected: bool = False  # the problem is an error logged under the deliveries' ids
    # Every delivery of the batch about this order, and its stored state (None: none yet).
    deliveries: list[WebhookDelivery] = field(default_factory=list)
    base: ShopifyOrder | None = None


def _states(states: QuerySet[ShopifyOrder]) -> dict[str, ShopifyOrder]:
    # (store, shopify_id) is unique: one store's states by Shopify id.
    return {state.shopify_id: state for state in states}


def _snapshot(state: ShopifyOrder | None) -> tuple[Any, ...]:
    if state is None:
        return (None, None, {}, {})
    return (state.updated_at, state.order, state.fulfillments, state.refunds)


def _batch_apply(claimed: list[int]) -> dict[int, str]:
    """Apply claimed deliveries together; their outcomes by id.

    If another drain changed the state of one of the batch's orders meanwhile, the batch is
    folded again on the new states and written again (the import of the orders whose
    document did not change costs no write), so the newest state is always the one written.
    """
    # The payloads are read (and decoded) after the claim's commit, not while it holds locks.
    batch = list(WebhookDelivery.objects.filter(pk__in=claimed).order_by("id"))
    if not batch:
        return {}  # purged meanwhile
    store = ShopifyStore.objects.get(pk=batch[0].store_id)
    try:
        for attempt in range(1, FOLD_ATTEMPTS + 1):
            refs = {d.order_ref for d in batch if d.order_ref}
            stored = _states(ShopifyOrder.objects.filter(store=store, shopify_id__in=refs))
            outcomes, orders = _fold(batch, store=store, stored=stored)
            _write(orders, outcomes)
            if retrying(partial(_record, store, orders, outcomes, check=attempt < FOLD_ATTEMPTS)):
                break
    except BaseException:
        # Let the next drain take them (a lock it waited too long for, a stop).
        WebhookDelivery.objects.filter(
            pk__in=claimed, outcome=Outcome.RECEIVED, claimed_at__isnull=False
        ).update(claimed_at=None)
        raise
    for delivery_id, (outcome, _) in outcomes.items():
        level = logging.WARNING if outcome == Outcome.FAILED else logging.INFO
        logger.log(level, "Shopify delivery %s %s", delivery_id, outcome)
    return {delivery_id: outcome for delivery_id, (outcome, _) in outcomes.items()}


def _fold(
    batch: list[WebhookDelivery], *, store: ShopifyStore, stored: dict[str, ShopifyOrder]
) -> tuple[dict[int, tuple[str, str]], dict[str, _Folded]]:
    """Each delivery's outcome as if applied alone in order, and each order's folded state.

    An `orders/*` payload older (updated_at) than the one folded so far is stale; a newer
    one replaces it. Fulfillments and refunds are merged by id, the newest kept. An order
    delivery's outcome and those of the fulfillments and refunds that go with it are
    provisional `applied` until its document is written.
    """
    outcomes: dict[int, tuple[str, str]] = {}
    orders: dict[str, _Folded] = {}
    for delivery in batch:
        topic, payload, ref = delivery.topic, delivery.payload, delivery.order_ref
        if topic not in TOPICS:
            outcomes[delivery.pk] = (Outcome.IGNORED, "ercdash does not apply this topic.")
            continue
        if not ref:
            field_name = "id" if topic in ORDER_TOPICS else "order_id"
            outcomes[delivery.pk] = (Outcome.FAILED, f"The payload has no order {field_name}.")
            continue
        folded = orders.get(ref)
        if folded is None:
            old = stored.get(ref)
            state = ShopifyOrder(store=store, shopify_id=ref)
            if old is not None:
                state.pk, state.updated_at, state.order = old.pk, old.updated_at, old.order
                state.fulfillments, state.refunds = dict(old.fulfillments), dict(old.refunds)
            folded = orders[ref] = _Folded(state=state, seen=_snapshot(old), base=old)
        folded.deliveries.append(delivery)
        state = folded.state
        if topic in ORDER_TOPICS:
            updated_at = mapping.order_updated_at(payload)
            if state.updated_at and updated_at and updated_at < state.updated_at:
                outcomes[delivery.pk] = (
                    Outcome.STALE,
                    f"Older than the order already applied (updated_at "
                    f"{updated_at.isoformat()} < {state.updated_at.isoformat()}); "
                    "nothing changed.",
                )
                continue
            _merge(state.fulfillments, payload.get("fulfillments"))
            _merge(state.refunds, payload.get("refunds"))
            state.order = payload
            if updated_at and (state.updated_at is None or updated_at > state.updated_at):
                state.updated_at = updated_at
            # What waited for the order in this batch goes in with it.
            folded.producers += [*folded.waiting, delivery.pk]
            folded.waiting = []
        else:
            known = state.fulfillments if topic in FULFILLMENT_TOPICS else state.refunds
            if not _merge(known, [payload]):
                outcomes[delivery.pk] = (
                    Outcome.STALE,
                    "A newer version of this was already applied.",
                )
                continue
            if state.order is None:
                folded.waiting.append(delivery.pk)
            else:
                folded.producers.append(delivery.pk)
    for folded in orders.values():
        for delivery_id in folded.waiting:
            outcomes[delivery_id] = (
                Outcome.WAITING,
                "Waiting for its order, which has not arrived yet.",
            )
        for delivery_id in folded.producers:
            outcomes[delivery_id] = (Outcome.APPLIED, "")
    return outcomes, orders


def _write(orders: dict[str, _Folded], outcomes: dict[int, tuple[str, str]]) -> None:
    """Map each order the batch changes and import them all at once; a document that cannot
    be mapped or is refused fails the deliveries that produced it, with the reason."""
    written = [folded for folded in orders.values() if folded.producers]
    for folded in written:
        try:
            folded.document = _order_document(folded.state)
        except mapping.MappingError as exc:
            folded.problem = f"Could not map the order: {exc.reason}"
        except Exception as exc:
            _unexpected(folded, exc, "Unexpected error")
    written = [folded for folded in written if folded.document is not None]
    records = [RawRecord(n, folded.document) for n, folded in enumerate(written, 1)]
    results: list[tuple[list[_Folded], ImportResult]] = []
    try:
        if records:
            results = [(written, orders_import(documents=records))]
    except DatabaseError as exc:
        if lost_lock_race(exc):
            raise
        results = _write_one_by_one(written)
    except Exception:
        results = _write_one_by_one(written)
    for folded_orders, result in results:
        for position, reason in _rejections(result).items():
            folded_orders[position - 1].problem = reason
    for ref, folded in orders.items():
        if folded.problem and len(folded.deliveries) > 1:
            _write_in_turn(ref, folded, outcomes)
            continue
        for delivery_id in folded.producers if folded.problem else ():
            reason = folded.problem
            if folded.unexpected:
                reason += f"; see the logs for delivery {delivery_id}."
            outcomes[delivery_id] = (Outcome.FAILED, reason)


def _write_in_turn(ref: str, folded: _Folded, outcomes: dict[int, tuple[str, str]]) -> None:
    """An order whose folded document failed: its deliveries of the batch again one at a
    time, each written alone, so that only those at fault fail (rare: costs a write each)."""
    state, lead, waiting = folded.base, None, []
    for delivery in folded.deliveries:
        found, alone = _fold(
            [delivery], store=folded.state.store, stored={ref: state} if state else {}
        )
        step = alone[ref]
        if step.producers:
            _write(alone, found)
            if not step.problem:
                state, lead = step.state, delivery.pk
                for delivery_id in waiting:
                    found[delivery_id] = (Outcome.APPLIED, f"Applied with delivery {lead}.")
                waiting = []
        elif step.waiting:
            state = step.state
            waiting.append(delivery.pk)
        outcomes.update(found)
    if state is not None:
        folded.state = state
    folded.producers = [lead] if lead else []
    folded.problem = "" if lead else folded.problem
    folded.waiting = waiting


def _write_one_by_one(written: list[_Folded]) -> list[tuple[list[_Folded], ImportResult]]:
    """After an unexpected error in the batch's import: each order alone, so that only the
    order at fault fails."""
    results = []
    for folded in written:
        try:
            result = orders_import(documents=[folded.document])
        except DatabaseError as exc:
            if lost_lock_race(exc):
                raise
            _unexpected(folded, exc, "The database refused this delivery")
            continue
        except Exception as exc:
            _unexpected(folded, exc, "Unexpected error")
            continue
        results.append(([folded], result))
    return results


def _unexpected(folded: _Folded, error: Exception, reason: str) -> None:
    """Fail an order's deliveries for an error ercdash did not expect. It is logged by its
    type and place only: its message may quote the payload."""
    frame = traceback.extract_tb(error.__traceback__)[-1]
    place = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
    folded.document = None
    folded.problem = f"{reason} ({type(error).__name__})"
    folded.unexpected = True
    for delivery_id in folded.producers:
        logger.error(
            "Shopify delivery %s failed: %s at %s", delivery_id, type(error).__name__, place
        )


def _order_document(state: ShopifyOrder) -> dict[str, Any]:
    """The order document of a Shopify order with its fulfillments and refunds."""
    return mapping.order_document(
        state.order,
        shop_domain=state.store.domain,
        brand=state.store.brand,
        fulfillments=list(state.fulfillments.values()),
        refunds=list(state.refunds.values()),
    )


def _rejections(result: ImportResult) -> dict[int, str]:
    """Why each refused record was refused, by position; import errors name the field and
    never repeat the value."""
    problems: dict[int, list[str]] = {}
    for error in result.errors:
        problem = f"{error.field}: {error.description}" if error.field else error.description
        problems.setdefault(error.record, []).append(problem)
    return {
        position: f"The order was refused: {'; '.join(found)}"[:500]
        for position, found in problems.items()
    }


def _record(
    store: ShopifyStore,
    orders: dict[str, _Folded],
    outcomes: dict[int, tuple[str, str]],
    *,
    check: bool,
) -> bool:
    """Store the batch's outcomes and the states of its orders, in this (short) transaction;
    False, writing nothing, if another drain changed one of those states since the fold."""
    kept = {
        ref: folded
        for ref, folded in orders.items()
        if folded.waiting or (folded.producers and not folded.problem)
    }
    fresh = _states(
        ShopifyOrder.objects.select_for_update().filter(store=store, shopify_id__in=list(orders))
    )
    if check and any(_snapshot(fresh.get(ref)) != f.seen for ref, f in orders.items()):
        return False
    # New states in one statement. Known ones row by row: bulk_update's CASE per row and
    # field costs far more time under the write lock than a short UPDATE each.
    created = [folded.state for ref, folded in kept.items() if ref not in fresh]
    try:
        with transaction.atomic():
            ShopifyOrder.objects.bulk_create(created)
    except IntegrityError:
        for state in created:
            state.pk = None
        if check:
            return False  # another drain created one of them since the fold
        raise
    for ref, folded in kept.items():
        if ref in fresh:
            state = folded.state
            ShopifyOrder.objects.filter(pk=fresh[ref].pk).update(
                updated_at=state.updated_at,
                order=state.order,
                fulfillments=state.fulfillments,
                refunds=state.refunds,
            )
    now = timezone.now()
    # Fulfillments and refunds that came before their order (in an earlier batch) are part
    # of what was just written.
    written = {ref: f.producers[-1] for ref, f in kept.items() if f.producers}
    waited = WebhookDelivery.objects.filter(
        store=store, order_ref__in=list(written), outcome=Outcome.WAITING
    ).values_list("order_ref", flat=True)
    for ref in set(waited):
        WebhookDelivery.objects.filter(store=store, order_ref=ref, outcome=Outcome.WAITING).update(
            outcome=Outcome.APPLIED, applied_at=now, reason=f"Applied with delivery {written[ref]}."
        )
    groups: dict[tuple[str, str], list[int]] = {}
    for delivery_id, (outcome, reason) in outcomes.items():
        groups.setdefault((outcome, reason[:500]), []).append(delivery_id)
    for (outcome, reason), ids in groups.items():
        WebhookDelivery.objects.filter(pk__in=ids, outcome=Outcome.RECEIVED).update(
            outcome=outcome, reason=reason, applied_at=now if outcome == Outcome.APPLIED else None
        )
    return True


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _merge(known: dict[str, Any], incoming: Iterable[Any] | None) -> bool:
    """Put each incoming fulfillment or refund into `known` (by id) unless the one there is
    newer (updated_at, else created_at); False when the last one was older than the known."""
    accepted = True
    for item in incoming or []:
        if not isinstance(item, dict) or item.get("id") is None:
            continue
        key = str(item["id"])
        old = known.get(key)
        new_at = _moment(item.get("updated_at") or item.get("created_at"))
        old_at = _moment(old.get("updated_at") or old.get("created_at")) if old else None
        accepted = old is None or new_at is None or old_at is None or new_at >= old_at
        if accepted:
            known[key] = item
    return accepted


# --- Admin and operations -------------------------------------------------------------------


def deliveries_reprocess(*, deliveries: QuerySet[WebhookDelivery]) -> int:
    """Apply these deliveries again (duplicates excepted); how many were queued."""
    chosen = deliveries.exclude(outcome=Outcome.DUPLICATE)
    ids = list(chosen.values_list("pk", flat=True))
    stores = set(chosen.values_list("store_id", flat=True).distinct())
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk__in=ids).update(
            outcome=Outcome.RECEIVED, reason="", applied_at=None, claimed_at=None
        )
        for store_id in sorted(stores):
            # Not through _drain_request: a drain queued earlier may have looked already.
            transaction.on_commit(
                lambda store_id=store_id: deliveries_apply_task.enqueue(store_id=store_id)
            )
    return len(ids)


def deliveries_requeue_stranded(*, older_than: timedelta = STRANDED_AFTER) -> int:
    """Queue again deliveries still `received` long after they came (a process that stopped
    between the commit and the enqueue, a worker that died); how many."""
    stranded = WebhookDelivery.objects.filter(
        outcome=Outcome.RECEIVED, received_at__lt=timezone.now() - older_than
    )
    return deliveries_reprocess(deliveries=stranded)


def deliveries_purge(*, days: int | None = None) -> int:
    """Delete deliveries received more than `days` (default: the retention setting) ago."""
    if days is None:
        days = settings.ERCDASH_WEBHOOK_RETENTION_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = WebhookDelivery.objects.filter(received_at__lt=cutoff).delete()
    return deleted


# --- Backfill -------------------------------------------------------------------------------


def shopify_orders_import(
    *,
    store: ShopifyStore,
    records: Iterable[RawRecord],
    dry_run: bool = False,
    parallel: bool = False,
) -> ImportResult:
    """Import a shop's existing orders (REST order objects) through the webhooks' mapping.

    Counted like `import_orders`; an order that cannot be mapped is rejected with the reason.
    Imported orders are remembered like applied webhooks, so an older webhook arriving later
    changes nothing; and where a webhook already brought a newer version of an order, that
    version is kept (the file's older one counts as unchanged). Records are read, mapped and
    written BACKFILL_CHUNK at a time: memory does not grow with the input. With `parallel`
    (the command), a big input is read, mapped and validated by a second process as if no
    webhook had brought its orders; an order a webhook did bring is mapped again here.
    """
    result = ImportResult()
    chunks = validation.prepared_chunks(
        iter(records),
        size=BACKFILL_CHUNK,
        parallel=parallel,
        prepare=partial(_backfill_prepare, domain=store.domain, brand=store.brand),
    )
    pace = WritePace()  # write transactions sized across chunks, as for one import
    for chunk in chunks:
        part = _backfill_chunk(store=store, chunk=chunk, dry_run=dry_run, pace=pace)
        result.created += part.created
        result.updated += part.updated
        result.unchanged += part.unchanged
        result.rejected += part.rejected
        result.errors += part.errors
    return result


def _backfill_prepare(
    records: list[RawRecord], *, domain: str, brand: str
) -> list[tuple[RawRecord, validation.Prepared]]:
    """Each record with its order document validated, mapped as an order no webhook has
    brought (no stored state): no database needed, so a second process can do it."""
    return [
        (record, validation.prepare([_backfill_document(record, domain, brand, None)])[0])
        for record in records
    ]


def _backfill_document(
    record: RawRecord, domain: str, brand: str, state: ShopifyOrder | None
) -> RawRecord:
    """The record's order document (or why not), with what a webhook stored of the order."""
    if record.error:
        return record
    order = _backfill_order(record, state)
    try:
        if not isinstance(order, dict):
            raise mapping.MappingError("An order must be a JSON object.")
        document = mapping.order_document(
            order,
            shop_domain=domain,
            brand=brand,
            fulfillments=list(state.fulfillments.values()) if state else None,
            refunds=list(state.refunds.values()) if state else None,
        )
    except mapping.MappingError as exc:
        return RawRecord(record.position, error=f"Could not map the order: {exc.reason}")
    # The position stays the record's place in the file (errors name it).
    return RawRecord(record.position, document)


def _backfill_order(record: RawRecord, state: ShopifyOrder | None) -> Any:
    """The file's order, or the one a webhook brought when that one is newer."""
    order = record.value
    if state is not None and state.order is not None:
        updated_at = mapping.order_updated_at(order) if isinstance(order, dict) else None
        if state.updated_at and (updated_at is None or updated_at <= state.updated_at):
            return state.order
    return order


def _backfill_chunk(
    *,
    store: ShopifyStore,
    chunk: list[tuple[RawRecord, validation.Prepared]],
    dry_run: bool,
    pace: WritePace,
) -> ImportResult:
    refs = [_backfill_ref(record) for record, _ in chunk]
    states = _states(
        ShopifyOrder.objects.filter(store=store, shopify_id__in=[ref for ref in refs if ref])
    )
    prepared: list[validation.Prepared] = []
    written: list[tuple[int, dict[str, Any]]] = []
    for (record, ready), ref in zip(chunk, refs, strict=True):
        state = states.get(ref)
        if state is not None:  # a webhook came first: mapped again with what it brought
            ready = validation.prepare(
                [_backfill_document(record, store.domain, store.brand, state)]
            )[0]
        prepared.append(ready)
        order = _backfill_order(record, state)
        if not record.error and isinstance(order, dict):
            written.append((record.position, order))
    result = import_prepared([prepared], dry_run=dry_run, pace=pace)
    if not dry_run:
        rejected = {error.record for error in result.errors}
        retrying(
            partial(
                _remember,
                store=store,
                orders=[order for position, order in written if position not in rejected],
            )
        )
    return result


def _backfill_ref(record: RawRecord) -> str:
    value = record.value
    if record.error or not isinstance(value, dict) or value.get("id") is None:
        return ""
    return str(value["id"])[:32]


def _remember(*, store: ShopifyStore, orders: list[dict[str, Any]]) -> None:
    """Keep imported orders as their states (in this transaction), unless newer ones are."""
    refs = {str(order["id"])[:32] for order in orders}
    ShopifyOrder.objects.bulk_create(
        [ShopifyOrder(store=store, shopify_id=ref) for ref in refs], ignore_conflicts=True
    )
    states = _states(
        ShopifyOrder.objects.select_for_update().filter(store=store, shopify_id__in=refs)
    )
    for order in orders:
        state = states[str(order["id"])[:32]]
        updated_at = mapping.order_updated_at(order)
        if state.updated_at and updated_at and updated_at < state.updated_at:
            continue
        _merge(state.fulfillments, order.get("fulfillments"))
        _merge(state.refunds, order.get("refunds"))
        state.order = order
        state.updated_at = updated_at or state.updated_at
    bulk.update(list(states.values()), ["updated_at", "order", "fulfillments", "refunds"])
