"""Entry point for `dramatiq config.worker`: set Django up, then load every actor."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup()

from config.broker import setup  # noqa: E402
from config.tasks_registry import import_all_tasks  # noqa: E402

broker = setup()
import_all_tasks()
# The scheduler's fan-out actor runs in the workers too: per-practice jobs go through it.
from config import scheduler  # noqa: E402,F401
