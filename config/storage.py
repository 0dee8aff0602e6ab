"""File storage on S3 (django-storages), one prefix per practice.

Every key starts with the schema of the practice it belongs to, so one practice's files are never
reachable through another's; objects are private (no ACL), encrypted server-side with the
bucket's KMS key, and read only through short-lived presigned URLs issued after a permission
check. The local filesystem (django-tenants' per-schema folders) stays the embedded default."""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3Storage

from tenants.db import connection


class TenantS3Storage(S3Storage):
    default_acl = None
    file_overwrite = False
    querystring_auth = True
    signature_version = "s3v4"  # presigned URLs carry their lifetime (X-Amz-Expires)

    @property
    def location(self) -> str:
        # Resolved at every call: the same storage object serves every practice.
        return connection.schema_name

    def _get_write_parameters(self, name: str, content: Any = None) -> dict[str, Any]:
        # A file saved with a `content_disposition` keeps it as object metadata, so a presigned
        # download carries the file's own name without the name ever being in the URL.
        params: dict[str, Any] = super()._get_write_parameters(name, content)
        disposition = getattr(content, "content_disposition", None)
        if disposition:
            params["ContentDisposition"] = disposition
        return params
