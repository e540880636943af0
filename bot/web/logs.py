"""The access log of the dashboard's (and the webhook's) tornado server."""

from __future__ import annotations

import logging
import re

from tornado.log import access_log
from tornado.web import RequestHandler

_SIGN_IN_LINK = re.compile(r"/signin/[A-Za-z0-9_-]+")


def log_request(handler: RequestHandler) -> None:
    """tornado's access line without the one-time token of a sign-in link: whoever reads
    the log could otherwise sign in with a link not yet used."""
    request = handler.request
    path = _SIGN_IN_LINK.sub("/signin/…", request.path)
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    access_log.log(level, "%d %s %s %.2fms", status, request.method, path,
                   1000.0 * request.request_time())
