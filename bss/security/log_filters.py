"""A logging filter that removes credentials from every log record before any handler writes it.

Wired on the handlers in settings.LOGGING, so it also covers records propagated from third-party loggers
(requests, urllib3, msal, celery). Redacts bearer tokens, Authorization headers, client secrets, refresh/access
tokens, passwords and client assertions, in key=value, JSON and header forms, in the message, its arguments and
formatted tracebacks.
"""

import logging
import re

REDACTED = "[REDACTED]"

_SECRET_KEYS = (
    r"client_secret|application_secret|refresh_token|access_token|id_token|client_assertion|password|"
    r"api_key|secret"
)
_PATTERNS = [
    # Authorization: Bearer eyJ... / bearer tokens anywhere
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*"), rf"\1 {REDACTED}"),
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?!\s*bearer\b)[^'\"\n,;]+"), rf"\1{REDACTED}"),
    # "client_secret": "value"  /  'refresh_token': 'value'
    (re.compile(rf"(?i)(['\"](?:{_SECRET_KEYS})['\"]\s*:\s*)(['\"])(.*?)(?<!\\)\2"), rf"\1\2{REDACTED}\2"),
    # client_secret=value (query strings, form bodies, repr of keyword arguments)
    (re.compile(rf"(?i)\b((?:{_SECRET_KEYS})\s*=\s*)(['\"]?)[^&\s'\",)]+\2"), rf"\1\2{REDACTED}\2"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Rewrites the record in place (message merged with its arguments) and always lets it through."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
