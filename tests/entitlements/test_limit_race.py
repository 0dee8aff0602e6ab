"""Two owners' requests at the last staff seat, at the same moment, in two real transactions:
exactly one invitation is created. (Without the lock on the practice row both would count the
seat as free.)"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django_tenants.utils import schema_context

from practice import services
from practice.models import StaffInvitation
from tenants.accounts.models import Role
from tenants.actor import Actor
from tests.entitlements.test_limits import add_people, on_plan


@pytest.mark.usefixtures("committed_db")
def test_two_invitations_for_the_last_seat_create_one(practice_factory) -> None:
    world = practice_factory("racing", "Racing Practice")
    on_plan(world, "group")  # 10 seats; 4 staff exist
    add_people(world, Role.CLINICIAN, 5)  # 9 taken: one seat left
    connection.set_schema_to_public()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(email: str) -> None:
        try:
            with schema_context(world.practice.schema_name):
                barrier.wait(timeout=10)
                services.staff_invite(email=email,
                                      full_name="Colleague", role=Role.CLINICIAN,
                                      actor=Actor.of(world.owner, practice=world.practice))
            outcomes.append("created")
        except services.StaffError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(f"new{n}@example.org",))
               for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["created", "refused"]
    with schema_context(world.practice.schema_name):
        assert StaffInvitation.objects.count() == 1
