from __future__ import annotations

import importlib
import importlib.util

from django.apps import apps


def import_all_tasks() -> None:
    """Import the `tasks` module of every installed app that has one (actors register there)."""
    for config in apps.get_app_configs():
        name = f"{config.name}.tasks"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
