"""An idle worker looks for new messages every DRAMATIQ_IDLE_POLL_MS, not dramatiq's 1 s
(config/broker.py, PromptPolling): set on the worker and on every consumer it starts."""

from __future__ import annotations

import dramatiq
from django.conf import settings

from config.broker import setup

QUEUE = "tandem-test-idle-poll"


def test_a_worker_and_its_consumers_poll_promptly_when_idle() -> None:
    broker = setup()
    broker.declare_queue(QUEUE)
    worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=1)
    assert worker.worker_timeout == 1000  # dramatiq's default, before it boots
    worker.start()
    try:
        assert settings.DRAMATIQ_IDLE_POLL_MS == 100
        assert worker.worker_timeout == 100
        assert [consumer.worker_timeout for consumer in worker.consumers.values()] == [100, 100]
        assert [thread.timeout for thread in worker.workers] == [0.1]
    finally:
        worker.stop(timeout=5000)
