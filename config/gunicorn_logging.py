"""gunicorn's logger with secret paths redacted (infra/gunicorn.conf.py: logger_class)."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from config.redaction import RedactSecretsFilter, redact


class RedactingLogger(Logger):
    """Every access-log atom (path, request line, referer, headers) and every error-log
    message goes through `redact()`, whatever format or handler the deployment chooses."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(item, RedactSecretsFilter) for item in log.filters):
                log.addFilter(RedactSecretsFilter())

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
              ) -> dict[str, Any]:
        return {key: redact(value) if isinstance(value, str) else value
                for key, value in super().atoms(resp, req, environ, request_time).items()}
