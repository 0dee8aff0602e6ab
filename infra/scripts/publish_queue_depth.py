"""Publish dramatiq's queue depth to CloudWatch, for the worker service's autoscaling.

Runs beside the scheduler (a sidecar in the scheduler's ECS task): every PERIOD seconds it
reads the length of each dramatiq queue in Redis and puts one metric per queue,
`Tandem/Queues` `QueueDepth` with dimensions `Environment` and `Queue`, plus the total
(`Queue=all`), which the worker service scales on. Only counts leave Redis: no message bodies.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import Any

import redis

NAMESPACE = "Tandem/Queues"
METRIC = "QueueDepth"
logger = logging.getLogger("queue_depth")


def queue_depths(client: redis.Redis) -> dict[str, int]:
    """dramatiq's Redis broker keeps each queue's message ids in the list `dramatiq:<queue>`
    (delayed messages in `dramatiq:<queue>.DQ`, dead ones in `.XQ`, which are not work)."""
    depths: dict[str, int] = {}
    for raw_key in client.scan_iter(match="dramatiq:*", count=500):
        key = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
        queue = key.removeprefix("dramatiq:")
        if "." in queue or ":" in queue or client.type(key) not in (b"list", "list"):
            continue
        depths[queue] = int(client.llen(key))
    return depths


def metric_data(depths: dict[str, int], environment: str) -> list[dict[str, Any]]:
    data = [
        {"MetricName": METRIC, "Unit": "Count", "Value": float(depth),
         "Dimensions": [{"Name": "Environment", "Value": environment},
                        {"Name": "Queue", "Value": queue}]}
        for queue, depth in sorted(depths.items())
    ]
    data.append({"MetricName": METRIC, "Unit": "Count", "Value": float(sum(depths.values())),
                 "Dimensions": [{"Name": "Environment", "Value": environment},
                                {"Name": "Queue", "Value": "all"}]})
    return data


def main() -> None:
    import boto3

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=5)
    cloudwatch = boto3.client("cloudwatch")
    environment = os.environ.get("TANDEM_ENVIRONMENT", "production")
    period = float(os.environ.get("QUEUE_METRIC_PERIOD", "60"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.is_set():
        started = time.monotonic()
        try:
            data = metric_data(queue_depths(client), environment)
            for start in range(0, len(data), 20):
                cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data[start:start + 20])
        except Exception:  # noqa: BLE001 - a missed sample must not stop the publisher
            logger.exception("could not publish queue depth")
        stop.wait(max(1.0, period - (time.monotonic() - started)))


if __name__ == "__main__":
    main()
