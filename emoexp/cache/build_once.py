"""Build a folder once, whole, whoever asks for it first.

Stage artifacts and converted model weights share one way of being built: in a temporary
sibling folder, under a file lock on `<folder>.lock`, with a marker file written last and the
folder renamed into place. Parallel jobs (threads or processes) never see half a folder and
never build it twice; a folder without its marker counts as absent and is rebuilt.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emoexp.cache.locks import file_lock


def lock_path(target: Path) -> Path:
    return target.parent / f"{target.name}.lock"


def build_folder_once(
    target: Path, build: Callable[[Path], dict[str, Any]], *, marker: str
) -> tuple[Path, bool]:
    """`target`, built by `build(tmp_dir)` when its `marker` file is missing; `build` returns
    the JSON the marker holds. The boolean says whether an existing folder was reused."""
    if (target / marker).is_file():
        return target, True
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(lock_path(target)):
        if (target / marker).is_file():
            return target, True
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            content = build(tmp)
            (tmp / marker).write_text(json.dumps(content, indent=2, default=str))
            if target.exists():
                shutil.rmtree(target)
            tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target, False
