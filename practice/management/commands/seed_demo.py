from typing import Any

from django.core.management.base import BaseCommand

from practice.demo import seed_demo


class Command(BaseCommand):
    help = "Seed the demo practice and a platform operator (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = seed_demo()
        self.stdout.write("Demo practice created." if created else "Demo practice present.")
