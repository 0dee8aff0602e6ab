"""Handing a file to someone who was just allowed to have it: a redirect to a short-lived
presigned URL when the storage is S3 (the bytes never pass through the app), the bytes streamed
otherwise (the local filesystem). Either way the answer is never cached, and the file's name
never appears in a URL."""

from __future__ import annotations

import logging

from django.http import FileResponse, Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase

from practice.documents.models import Document

logger = logging.getLogger(__name__)


def download_response(document: Document) -> HttpResponseBase:
    storage = document.file.storage
    response: HttpResponseBase
    if getattr(storage, "querystring_auth", False):
        # Signed for the storage's querystring_expire (AWS_QUERYSTRING_EXPIRE, 5 minutes); the
        # object carries its own Content-Type and Content-Disposition.
        response = HttpResponseRedirect(storage.url(document.file.name))
    else:
        try:
            handle = document.file.open("rb")
        except FileNotFoundError:
            logger.error("document %s has no stored file", document.pk)
            raise Http404 from None
        response = FileResponse(handle, as_attachment=True, filename=document.display_name,
                                content_type=document.content_type)
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
