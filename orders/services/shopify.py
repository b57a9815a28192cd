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
import time
import traceback
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import task

from orders.documents import RawRecord
from orders.integrations.shopify import mapping
from orders.models import ShopifyOrder, ShopifyStore, WebhookDelivery
from orders.services.imports import ImportResult, orders_import
from orders.services.transactions import lost_lock_race, retrying

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
# A drain applies at most this many deliveries, or for about this long, per transaction.
APPLY_BATCH = 50
APPLY_SECONDS = 0.05
# A drain queued this long ago and not started is not waited for: another one is enqueued
# (the first may have been lost between a commit and its enqueue).
DRAIN_TRUSTED_FOR = timedelta(seconds=30)
clock = time.monotonic  # patched by tests


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
# A store's deliveries are applied by a drain task, oldest first, several per short write
# transaction: one task (and its few queue writes) per burst of deliveries rather than per
# delivery, which is what lets one worker keep up with Shopify's peaks on SQLite too.


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
    """Apply every delivery of the store still `received`, oldest first; how many.

    The queued mark is cleared before the first look, so a delivery committed after that
    look enqueues another drain: none is left behind. Two drains of one store at once (two
    workers) share the work: each takes deliveries the other has not locked.
    """
    ShopifyStore.objects.filter(pk=store_id, apply_queued_at__isnull=False).update(
        apply_queued_at=None
    )
    count = 0
    while done := retrying(lambda: _apply_some(store_id), seconds=APPLY_RETRY_SECONDS):
        count += len(done)
        for delivery_id, outcome in done:
            level = logging.WARNING if outcome == Outcome.FAILED else logging.INFO
            logger.log(level, "Shopify delivery %s %s", delivery_id, outcome)
    return count


def _apply_some(store_id: int) -> list[tuple[int, str]]:
    """Apply the next few received deliveries in this transaction (up to APPLY_BATCH, or
    APPLY_SECONDS, so other writers never wait long); their ids and outcomes."""
    pending = list(
        WebhookDelivery.objects.select_for_update(skip_locked=True)
        .filter(store_id=store_id, outcome=Outcome.RECEIVED)
        .order_by("id")
        .values_list("pk", flat=True)[:APPLY_BATCH]
    )
    started = clock()
    done: list[tuple[int, str]] = []
    for delivery_id in pending:
        if done and clock() - started >= APPLY_SECONDS:
            break
        done.append((delivery_id, _apply_one(delivery_id)))
    return done


def delivery_apply(*, delivery_id: int) -> str:
    """Apply one delivery still `received` now; its outcome. Applying again changes nothing."""
    outcome = retrying(lambda: _apply_one(delivery_id), seconds=APPLY_RETRY_SECONDS)
    level = logging.WARNING if outcome == Outcome.FAILED else logging.INFO
    logger.log(level, "Shopify delivery %s %s", delivery_id, outcome)
    return outcome


def _apply_one(delivery_id: int) -> str:
    """Apply a delivery in a savepoint of the caller's transaction; its outcome.

    A mapping or validation problem makes the delivery `failed` with the reason (_apply). So
    does an unexpected error, logged by its type and place only (its message may quote the
    payload). Losing a race for a lock is raised: the caller's transaction is tried again.
    """
    try:
        with transaction.atomic():
            return _apply(delivery_id)
    except DatabaseError as exc:
        if lost_lock_race(exc):
            raise
        error = exc
        reason = "The database refused this delivery"
    except Exception as exc:
        error = exc
        reason = "Unexpected error"
    frame = traceback.extract_tb(error.__traceback__)[-1]
    place = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
    logger.error("Shopify delivery %s failed: %s at %s", delivery_id, type(error).__name__, place)
    WebhookDelivery.objects.filter(pk=delivery_id, outcome=Outcome.RECEIVED).update(
        outcome=Outcome.FAILED,
        reason=f"{reason} ({type(error).__name__}); see the logs for delivery {delivery_id}.",
    )
    return Outcome.FAILED


def _apply(delivery_id: int) -> str:
    delivery = (
        WebhookDelivery.objects.select_for_update()
        .select_related("store")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.outcome != Outcome.RECEIVED:
        return delivery.outcome if delivery else "gone"  # done before, or purged
    topic, payload = delivery.topic, delivery.payload
    if topic not in TOPICS:
        return _finish(delivery, Outcome.IGNORED, "ercdash does not apply this topic.")
    if not delivery.order_ref:
        field = "id" if topic in ORDER_TOPICS else "order_id"
        return _finish(delivery, Outcome.FAILED, f"The payload has no order {field}.")

    state, _ = ShopifyOrder.objects.select_for_update().get_or_create(
        store=delivery.store, shopify_id=delivery.order_ref
    )
    state.store = delivery.store  # loaded already
    if topic in ORDER_TOPICS:
        updated_at = mapping.order_updated_at(payload)
        if state.updated_at and updated_at and updated_at < state.updated_at:
            return _finish(
                delivery,
                Outcome.STALE,
                f"Older than the order already applied (updated_at {updated_at.isoformat()} "
                f"< {state.updated_at.isoformat()}); nothing changed.",
            )
        _merge(state.fulfillments, payload.get("fulfillments"))
        _merge(state.refunds, payload.get("refunds"))
        state.order = payload
        if updated_at and (state.updated_at is None or updated_at > state.updated_at):
            state.updated_at = updated_at
    else:
        known = state.fulfillments if topic in FULFILLMENT_TOPICS else state.refunds
        if not _merge(known, [payload]):
            return _finish(delivery, Outcome.STALE, "A newer version of this was already applied.")
        if state.order is None:
            state.save()
            return _finish(
                delivery, Outcome.WAITING, "Waiting for its order, which has not arrived yet."
            )

    problem = _order_write(state)
    if problem:
        return _finish(delivery, Outcome.FAILED, problem)
    state.save()
    # Fulfillments and refunds that came before their order are part of what was just written.
    WebhookDelivery.objects.filter(
        store=delivery.store, order_ref=delivery.order_ref, outcome=Outcome.WAITING
    ).update(
        outcome=Outcome.APPLIED,
        applied_at=timezone.now(),
        reason=f"Applied with delivery {delivery.pk}.",
    )
    return _finish(delivery, Outcome.APPLIED, "")


def _order_write(state: ShopifyOrder) -> str:
    """Map the known order with its fulfillments and refunds and import it; a problem or ""."""
    try:
        document = mapping.order_document(
            state.order,
            shop_domain=state.store.domain,
            brand=state.store.brand,
            fulfillments=list(state.fulfillments.values()),
            refunds=list(state.refunds.values()),
        )
    except mapping.MappingError as exc:
        return f"Could not map the order: {exc.reason}"
    return _rejection(orders_import(documents=[document]))


def _rejection(result: ImportResult) -> str:
    if not result.rejected:
        return ""
    # Import errors name the field and never repeat the value.
    problems = "; ".join(
        f"{error.field}: {error.description}" if error.field else error.description
        for error in result.errors
    )
    return f"The order was refused: {problems}"[:500]


def _finish(delivery: WebhookDelivery, outcome: str, reason: str) -> str:
    delivery.outcome = outcome
    delivery.reason = reason[:500]
    delivery.applied_at = timezone.now() if outcome == Outcome.APPLIED else None
    delivery.save(update_fields=["outcome", "reason", "applied_at"])
    return outcome


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
            outcome=Outcome.RECEIVED, reason="", applied_at=None
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
    *, store: ShopifyStore, records: Iterable[RawRecord], dry_run: bool = False
) -> ImportResult:
    """Import a shop's existing orders (REST order objects) through the webhooks' mapping.

    Counted like `import_orders`; an order that cannot be mapped is rejected with the reason.
    Imported orders are remembered like applied webhooks, so an older webhook arriving later
    changes nothing; and where a webhook already brought a newer version of an order, that
    version is kept (the file's older one counts as unchanged).
    """
    records = list(records)
    refs = [str(r.value["id"]) for r in records if isinstance(r.value, dict) and "id" in r.value]
    states = {
        state.shopify_id: state
        for state in ShopifyOrder.objects.filter(store=store, shopify_id__in=refs)
    }
    documents: list[RawRecord] = []
    written: list[tuple[int, dict[str, Any]]] = []
    for record in records:
        if record.error:
            documents.append(record)
            continue
        order = record.value
        state = states.get(str(order.get("id"))) if isinstance(order, dict) else None
        if state is not None and state.order is not None:
            updated_at = mapping.order_updated_at(order)
            if state.updated_at and (updated_at is None or updated_at <= state.updated_at):
                order = state.order
        try:
            if not isinstance(order, dict):
                raise mapping.MappingError("An order must be a JSON object.")
            document = mapping.order_document(
                order,
                shop_domain=store.domain,
                brand=store.brand,
                fulfillments=list(state.fulfillments.values()) if state else None,
                refunds=list(state.refunds.values()) if state else None,
            )
        except mapping.MappingError as exc:
            documents.append(
                RawRecord(record.position, error=f"Could not map the order: {exc.reason}")
            )
            continue
        documents.append(RawRecord(record.position, document))
        written.append((record.position, order))
    result = orders_import(documents=documents, dry_run=dry_run)
    if dry_run:
        return result
    rejected = {error.record for error in result.errors}
    for position, order in written:
        if position not in rejected:
            _remember(store=store, order=order)
    return result


def _remember(*, store: ShopifyStore, order: dict[str, Any]) -> None:
    updated_at = mapping.order_updated_at(order)
    state, _ = ShopifyOrder.objects.get_or_create(store=store, shopify_id=str(order["id"])[:32])
    if state.updated_at and updated_at and updated_at < state.updated_at:
        return
    _merge(state.fulfillments, order.get("fulfillments"))
    _merge(state.refunds, order.get("refunds"))
    state.order = order
    state.updated_at = updated_at or state.updated_at
    state.save()
