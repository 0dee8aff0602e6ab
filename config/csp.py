"""Content-Security-Policy helpers (the policy itself is CONTENT_SECURITY_POLICY in settings)."""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser

from csp.constants import UNSAFE_HASHES
from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse


class _StyleAttributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.values += [value for name, value in attrs if name == "style" and value]


def style_attribute_sources(html: str) -> list[str]:
    """A `'sha256-…'` source for each distinct style attribute in `html`, in order."""
    parser = _StyleAttributes()
    parser.feed(html)
    parser.close()
    digests = (hashlib.sha256(value.encode()).digest() for value in parser.values)
    return list(dict.fromkeys(f"'sha256-{base64.b64encode(d).decode()}'" for d in digests))


def allow_style_attributes_of(response: HttpResponse, html: str) -> HttpResponse:
    """Let this one response use exactly the style attributes of `html` (e.g. an email shown in
    a srcdoc frame, which inherits the page's policy), and no others."""
    sources = style_attribute_sources(html)
    if not sources:
        return response

    def view(_request: HttpRequest) -> HttpResponse:
        return response

    # django-csp's decorator is its public way to mark one response: it marks this one.
    csp_update({"style-src": [UNSAFE_HASHES, *sources]})(view)(HttpRequest())
    return response
