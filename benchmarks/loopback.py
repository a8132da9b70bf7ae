"""The tests' loopback OpenAI-compatible server, for benchmarks run as scripts."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers.loopback_server import Faults, LoopbackServer, LoopbackServerProcess

__all__ = ["Faults", "LoopbackServer", "LoopbackServerProcess"]
