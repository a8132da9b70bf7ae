"""A build killed with SIGKILL leaves its temporary folder; the next run removes it, and never
one that a live builder still holds."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from emoexp.cache.artifacts import ArtifactStore
from emoexp.cache.locks import file_lock
from emoexp.paths import PROJECT_DIR

BUILDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from emoexp.cache.artifacts import ArtifactStore

    def build(out: Path) -> None:
        (out / "half.txt").write_text("half an artifact")
        time.sleep(600)

    ArtifactStore(sys.argv[1]).get_or_build("stage", "killed", build)
    """
)


def test_leftover_temporary_folders_are_removed_by_the_next_run(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", BUILDER, str(tmp_path)], cwd=PROJECT_DIR)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("stage/.killed-*/half.txt")):
        assert process.poll() is None and time.monotonic() < deadline, "the builder never started"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert list((tmp_path / "stage").glob(".killed-*"))

    store = ArtifactStore(tmp_path)
    # a build of this stage still running in another process keeps its folder
    live = tmp_path / "stage" / ".busy-abc123"
    live.mkdir()
    with file_lock(tmp_path / "stage" / "busy.lock"):
        path, reused = store.get_or_build("stage", "other", lambda out: None)
        assert live.is_dir()
    assert not reused and path.is_dir()
    assert not list((tmp_path / "stage").glob(".killed-*"))

    store.get_or_build("stage", "third", lambda out: None)
    assert not live.exists()
