"""The request's actor (tenants/actor.py): who acts, where, and what the audit keeps of the
request; a service that needs a person or a practice refuses nobody, never failing further
down with an AttributeError (a 500)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from tenants.actor import Actor, RequestMeta
from tenants.refusals import NotAllowed


def test_nobody_is_refused_where_a_person_is_needed() -> None:
    with pytest.raises(NotAllowed):
        _ = Actor.SYSTEM.person
    with pytest.raises(NotAllowed):
        _ = Actor.system().in_practice
    assert Actor.SYSTEM.role == "" and Actor.SYSTEM.user is None


def test_the_request_meta_keeps_the_address_and_a_bounded_user_agent() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9",
                                   HTTP_USER_AGENT="x" * 1000)
    meta = RequestMeta.from_request(request)
    assert meta.ip_address == "203.0.113.9" and len(meta.user_agent) == 300
    assert RequestMeta.from_request(None) == RequestMeta()


def test_an_anonymous_request_acts_as_nobody() -> None:
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    actor = Actor.from_request(request)
    assert actor.user is None and actor.practice is None
    with pytest.raises(NotAllowed):
        _ = actor.person
