"""Keep API keys out of the logs, even when a client puts one in a URL.

Keys travel in the Authorization header, which nothing logs; but a misconfigured client may
send one in a path or query string (`?api_key=sr_…`), and the server's access log writes
every URL. Keys have an unmistakable shape, so the log records are cleaned on their way out.
"""

from __future__ import annotations

import logging
import re

KEY_PATTERN = re.compile(r"sr_[A-Za-z0-9_-]{20,}")
"""`auth.service.create` makes 'sr_' + 43 URL-safe characters; shorter runs are not keys."""
REDACTED = "sr_[redacted]"
LOGGERS = ("uvicorn.access", "uvicorn.error")
"""The server's loggers, which write request lines. (A logger's filters see only its own
records; ours never log a header or a URL with a key in it.)"""


class RedactKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if KEY_PATTERN.search(message):
            record.msg, record.args = KEY_PATTERN.sub(REDACTED, message), None
        return True


def install() -> None:
    """Attach the filter to the loggers that write URLs and errors; once per logger."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactKeys) for f in logger.filters):
            logger.addFilter(RedactKeys())
