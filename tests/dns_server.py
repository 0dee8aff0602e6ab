"""A DNS server on loopback (dnslib) that answers what a test sets: the resolver the custom-domain
verification asks (CUSTOM_DOMAIN_RESOLVERS), standing in for the owner's DNS provider."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from dnslib import CNAME, QTYPE, RR, TXT, A, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class LocalDns(BaseResolver):
    """Records by (name, type); a name with no record at all is NXDOMAIN."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[str]] = {}
        self.lock = threading.Lock()
        self.port = 0

    def set(self, name: str, kind: str, *values: str) -> None:
        with self.lock:
            self.records[(name.rstrip(".").lower(), kind)] = list(values)

    def clear(self, name: str | None = None) -> None:
        with self.lock:
            if name is None:
                self.records.clear()
            else:
                for key in [key for key in self.records if key[0] == name]:
                    del self.records[key]

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        kind = QTYPE[request.q.qtype]
        with self.lock:
            values = list(self.records.get((name, kind), []))
            known = any(key[0] == name for key in self.records)
        for value in values:
            rdata = {"CNAME": lambda v: CNAME(v), "TXT": lambda v: TXT(v),
                     "A": lambda v: A(v)}[kind](value)
            reply.add_answer(RR(name, getattr(QTYPE, kind), rdata=rdata, ttl=60))
        if not values and not known:
            reply.header.rcode = 3  # NXDOMAIN
        return reply


@pytest.fixture
def local_dns(settings: Any) -> Iterator[LocalDns]:
    resolver = LocalDns()
    server = DNSServer(resolver, address="127.0.0.1", port=0,
                       logger=DNSLogger(log="-request,-reply,-truncated,-error", prefix=False))
    server.start_thread()
    resolver.port = server.server.server_address[1]
    settings.CUSTOM_DOMAIN_RESOLVERS = [f"127.0.0.1:{resolver.port}"]
    settings.CUSTOM_DOMAIN_DNS_TIMEOUT = 2.0
    yield resolver
    server.stop()
    server.server.server_close()
