"""The loopback DNS server the custom-domain tests verify against."""

from tests.dns_server import local_dns  # noqa: F401 - a fixture
