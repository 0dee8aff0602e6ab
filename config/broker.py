"""dramatiq on Redis, with every message bound to the practice schema it belongs to.

A tenant actor runs inside the schema its message carries and nowhere else. Sending one with no
practice schema (from public, or naming public) raises `TenantContextMissing` at `.send()`, so the
caller learns at once and nothing is enqueued; a message that still arrives without one is
refused by the worker (logged and acknowledged, never run in public). Actors that work across the
platform (fan-out, purges, billing) are declared with `platform_wide=True` and run in public.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import dramatiq
from django.conf import settings
from django.db import close_old_connections, connections
from django_tenants.utils import get_public_schema_name
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware, MiddlewareError, SkipMessage

from tenants.db import connection

logger = logging.getLogger(__name__)

SCHEMA_OPTION = "schema"


class TenantContextMissing(MiddlewareError):
    """A tenant actor was sent with no practice schema: enter the practice's schema first
    (`schema_context`), name it (`send_to_practice`), or declare the actor `platform_wide=True`.

    A MiddlewareError because dramatiq logs any other exception raised in `before_enqueue` and
    enqueues the message all the same."""


class TenantMiddleware(Middleware):
    """Stamps the current schema on each message and runs its actor inside that schema."""

    actor_options = {"platform_wide"}

    def __init__(self) -> None:
        self._local = threading.local()

    def before_enqueue(self, broker: Any, message: Any, delay: int) -> None:
        # A retried or delayed message keeps the schema it already carries.
        schema = message.options.get(SCHEMA_OPTION) or getattr(
            connection, "schema_name", get_public_schema_name()
        )
        if schema != get_public_schema_name():
            message.options[SCHEMA_OPTION] = schema
            return
        message.options.pop(SCHEMA_OPTION, None)
        if not broker.get_actor(message.actor_name).options.get("platform_wide"):
            # Raised before the message reaches Redis: nothing is enqueued.
            raise TenantContextMissing(
                f"tenant actor {message.actor_name} sent with no practice schema: enter the "
                "practice's schema, use send_to_practice, or declare it platform_wide=True"
            )

    def before_process_message(self, broker: Any, message: Any) -> None:
        actor = broker.get_actor(message.actor_name)
        stack = self._stack()
        stack.append(getattr(connection, "schema_name", get_public_schema_name()))
        if actor.options.get("platform_wide"):
            connection.set_schema_to_public()
            return
        schema = message.options.get(SCHEMA_OPTION)
        if not schema or schema == get_public_schema_name():
            logger.error(
                "refused tenant actor %s (message %s): it carries no schema",
                message.actor_name, message.message_id,
            )
            raise SkipMessage()
        if not _practice_exists(schema):
            logger.warning(
                "skipped actor %s (message %s): practice schema %s no longer exists",
                message.actor_name, message.message_id, schema,
            )
            raise SkipMessage()
        connection.set_schema(schema)

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        self._restore()

    def after_skip_message(self, broker: Any, message: Any) -> None:
        self._restore()

    def _stack(self) -> list[str]:
        if not hasattr(self._local, "stack"):
            self._local.stack = []
        return self._local.stack

    def _restore(self) -> None:
        stack = self._stack()
        previous = stack.pop() if stack else get_public_schema_name()
        if previous == get_public_schema_name():
            connection.set_schema_to_public()
        else:
            connection.set_schema(previous)


def _practice_exists(schema: str) -> bool:
    from tenants.models import Practice

    connection.set_schema_to_public()
    return Practice.objects.filter(schema_name=schema).exists()


class DjangoConnections(Middleware):
    """Worker threads hold Django connections: close stale ones around every message."""

    def before_process_message(self, broker: Any, message: Any) -> None:
        close_old_connections()

    def after_process_message(self, broker: Any, message: Any, **_: Any) -> None:
        close_old_connections()

    def after_skip_message(self, broker: Any, message: Any) -> None:
        close_old_connections()

    def before_worker_thread_shutdown(self, broker: Any, thread: Any) -> None:
        # A thread's connection would otherwise outlive the thread.
        connections.close_all()


_broker: RedisBroker | None = None


class PromptPolling(Middleware):
    """An idle worker looks for new messages every DRAMATIQ_IDLE_POLL_MS (100 ms) at most, not
    dramatiq's 1 s: a notification due now is handed out and then delivered, two hops through
    the queue, and each hop otherwise waits up to a second after a quiet spell. It costs about
    ten small Redis calls a second per queue per worker process. dramatiq's CLI has no option
    for it (only the `dramatiq_worker_timeout` environment variable, read when dramatiq is
    imported), so it is set on the worker before its consumers start."""

    def before_worker_boot(self, broker: Any, worker: Any) -> None:
        worker.worker_timeout = settings.DRAMATIQ_IDLE_POLL_MS


def setup() -> RedisBroker:
    """Create the broker from settings and make it dramatiq's global broker (idempotent)."""
    global _broker
    if _broker is None:
        broker = RedisBroker(url=settings.DRAMATIQ_BROKER_URL)
        broker.add_middleware(TenantMiddleware())
        broker.add_middleware(DjangoConnections())
        broker.add_middleware(PromptPolling())
        dramatiq.set_broker(broker)
        _broker = broker
    return _broker


def send_to_practice(actor: dramatiq.Actor, schema_name: str, **kwargs: Any) -> Any:
    """Enqueue a tenant actor for one practice, whatever schema the caller is in."""
    options: dict[str, Any] = {SCHEMA_OPTION: schema_name}
    return actor.send_with_options(kwargs=kwargs, **options)
