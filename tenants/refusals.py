"""Domain refusals, one base for every app: a service or selector raises one of these with a
message for the person, and it is answered once, the same way everywhere (the API's exception
handler and the pages' middleware in config/errors.py):

- `Missing` (404): not there, or out of one's reach (the two look alike: existence never leaks);
- `NotAllowed` (403, answered as 404 when it is about a record one may not know of);
- `Conflict` (409): the state changed under the request (a time just taken, an offer gone);
- `Invalid` (400): the request cannot be done as asked; the message says why.

Django's `ObjectDoesNotExist` from a lookup is answered like `Missing` by the API, so an API view
no longer wraps each lookup in try/except to raise NotFound."""

from __future__ import annotations


class Refused(Exception):
    status = 400
    default_message = "That cannot be done."

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self)


class Missing(Refused):
    status = 404
    default_message = "Not found."


class NotAllowed(Refused):
    status = 403
    default_message = "You may not do that."


class Conflict(Refused):
    status = 409
    default_message = "That has just changed. Please look again."


class Invalid(Refused):
    status = 400
    default_message = "That cannot be done as asked."
