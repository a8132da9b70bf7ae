"""Keep secrets out of config dumps, logs, caches, status files and W&B.

emoexp never puts a secret in a config (keys come from the environment), but a user can
still type one into an override, and a server can echo the key it was sent in an error
message. Any value under a secret-looking key, any value of a secret environment variable
(including the one `llm.api_key_env` names), and any bearer token or Authorization header is
replaced before anything is logged or written.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SECRET_KEY = re.compile(r"(api_?key|token|secret|password|passwd|authorization)$", re.I)
SECRET_ENV = re.compile(r"(API_KEY|TOKEN|SECRET|PASSWORD)", re.I)
REDACTED = "***"
# keys that name a secret's environment variable rather than hold the secret
NAME_KEYS = {"api_key_env"}
# what an environment variable's name looks like; anything else under a NAME_KEYS key is
# taken for a pasted secret
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# shorter values are not masked: they would mask ordinary words
MIN_SECRET_CHARS = 8
# a token after "Bearer" (8+ token characters with a digit: not "the bearer of news")
_BEARER = re.compile(r"(?i)\b(bearer\s+)(?=[\w.~+/=-]*\d)[\w.~+/=-]{8,}")
_AUTH_HEADER = re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?!bearer\b)[\w.~+/=-]{8,}")
# environment variables that hold secrets although their names do not say so
_EXTRA_SECRET_ENVS: set[str] = set()
# values typed on the command line for secret keys
_EXTRA_SECRET_VALUES: set[str] = set()


def register_secret_env(name: str) -> None:
    """Treat the value of the environment variable `name` as a secret (e.g. the variable
    `llm.api_key_env` names, whatever it is called)."""
    if name:
        _EXTRA_SECRET_ENVS.add(name)


def register_secret_values(values: Iterable[str]) -> None:
    """Mask these values wherever they appear from now on (secrets typed as overrides)."""
    _EXTRA_SECRET_VALUES.update(values)


def _secret_values() -> set[str]:
    values = {v for k, v in os.environ.items() if SECRET_ENV.search(k)}
    values |= {os.environ.get(name, "") for name in _EXTRA_SECRET_ENVS}
    values |= _EXTRA_SECRET_VALUES
    return {v for v in values if len(v) >= MIN_SECRET_CHARS}


def scrub_text(text: str, secrets: Iterable[str] | None = None) -> str:
    """`text` with every secret value, bearer token and Authorization value masked."""
    if not text:
        return text
    for secret in sorted(_secret_values() if secrets is None else secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _BEARER.sub(rf"\1{REDACTED}", text)
    return _AUTH_HEADER.sub(rf"\1{REDACTED}", text)


def redact(value: Any, _secrets: set[str] | None = None) -> Any:
    """Return a copy of a plain config container with secrets replaced."""
    secrets = _secret_values() if _secrets is None else _secrets
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if secret_value_of(str(key), item):
                out[key] = REDACTED
            else:
                out[key] = redact(item, secrets)
        return out
    if isinstance(value, list | tuple):
        return [redact(item, secrets) for item in value]
    if isinstance(value, str):
        return scrub_text(value, secrets)
    return value


def secret_value_of(key: str, value: Any) -> bool:
    """Whether `value`, found under `key` (a dotted path's last part), is a secret."""
    if not value or isinstance(value, dict | list | tuple):
        return False
    name = key.rsplit(".", 1)[-1].lstrip("+~")
    if name in NAME_KEYS:
        return not ENV_NAME.match(str(value))
    return bool(SECRET_KEY.search(name))


def redact_overrides(overrides: Iterable[str]) -> list[str]:
    """Command-line overrides with the values of secret keys masked (`llm.api_key=***`)."""
    out = []
    for override in overrides:
        key, sep, value = override.partition("=")
        if sep and secret_value_of(key, value):
            override = f"{key}={REDACTED}"
        out.append(scrub_text(override))
    return out


def secret_override_values(overrides: Iterable[str]) -> set[str]:
    """The values typed for secret keys on the command line (to mask wherever they landed)."""
    values = set()
    for override in overrides:
        key, sep, value = override.partition("=")
        if sep and secret_value_of(key, value):
            values |= {value, value.strip("'\"")}
    return {value for value in values if value}


def scrub_files(paths: Iterable[Path], extra_secrets: Iterable[str] = ()) -> None:
    """Rewrite files (Hydra's config dumps) with secrets and typed secret values masked."""
    secrets = _secret_values() | set(extra_secrets)
    for path in paths:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        clean = scrub_text(text, secrets)
        if clean != text:
            path.write_text(clean, encoding="utf-8")


class SecretFilter(logging.Filter):
    """Masks secrets in a record's message and traceback before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub_text(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        return True


def install_log_scrubbing(logger: logging.Logger | None = None) -> None:
    """Put a SecretFilter on every handler of `logger` (the root logger by default), so
    console and log files never carry a secret, whichever logger a message came from."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, SecretFilter) for f in handler.filters):
            handler.addFilter(SecretFilter())


def guard_secrets(api_key_env: str, overrides: Iterable[str]) -> None:
    """Everything one run needs masked from here on: the key variable's value, secrets typed
    as overrides, and every log handler."""
    register_secret_env(api_key_env)
    register_secret_values(secret_override_values(overrides))
    install_log_scrubbing()
