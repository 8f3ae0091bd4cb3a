"""gunicorn's logger, with the secrets of feed, answer and account links redacted.

`gunicorn.conf.py` names it as `logger_class`. Every text atom of the access log is
redacted, not only the request line (`%(r)s`), path (`%(U)s`), query (`%(q)s`) and
Referer (`%(f)s`): the header and environ atoms (`%({referer}i)s`, `%({raw_uri}e)s`)
carry the same URLs. gunicorn's own error lines ("Error handling request /feeds/…") are
redacted too.
"""

from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

from copf.lib.redact import RedactSecretsFilter, redact

REDACT_SECRETS = RedactSecretsFilter()


class RedactingLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # The same filter object each time, so a configuration reload does not stack them.
        self.error_log.addFilter(REDACT_SECRETS)

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: timedelta) -> dict:
        return {
            name: redact(value) if isinstance(value, str) else value
            for name, value in super().atoms(resp, req, environ, request_time).items()
        }
