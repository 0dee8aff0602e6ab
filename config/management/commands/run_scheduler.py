import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from config.scheduler import run_forever
from config.tasks_registry import import_all_tasks


class Command(BaseCommand):
    help = "Run the periodic job scheduler (only one runs at a time; a Redis lock decides)."

    def handle(self, *args: Any, **options: Any) -> None:
        import_all_tasks()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        self.stdout.write("scheduler running")
        run_forever(stop)
