"""Keep secrets out of config dumps, logs and W&B.

emoexp never puts a secret in a config (keys come from the environment), but a user can
still type one into an override; any value under a secret-looking key, and any value equal
to a secret environment variable, is replaced before anything is written.
"""

from __future__ import annotations

import os
import re
from typing import Any

SECRET_KEY = re.compile(r"(api_?key|token|secret|password|passwd|authorization)$", re.I)
SECRET_ENV = re.compile(r"(API_KEY|TOKEN|SECRET|PASSWORD)", re.I)
REDACTED = "***"
# keys that name a secret's environment variable rather than hold the secret
NAME_KEYS = {"api_key_env"}


def _secret_values() -> set[str]:
    return {v for k, v in os.environ.items() if SECRET_ENV.search(k) and len(v) >= 8}


def redact(value: Any, _secrets: set[str] | None = None) -> Any:
    """Return a copy of a plain config container with secrets replaced."""
    secrets = _secret_values() if _secrets is None else _secrets
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if str(key) not in NAME_KEYS and SECRET_KEY.search(str(key)) and item:
                out[key] = REDACTED
            else:
                out[key] = redact(item, secrets)
        return out
    if isinstance(value, list | tuple):
        return [redact(item, secrets) for item in value]
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
    return value
