"""Dry run: what a generation config would send, cost and take, before anything is paid.

The strategy runs for real against a backend that answers with marked placeholders, so
multi-stage strategies (persona, conversation) reach their last stage and every request
they would make is counted; requests already in the response cache cost nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from emoexp.cache.artifacts import ArtifactStore
from emoexp.config.schema import Config
from emoexp.data.taxonomy import Taxonomy
from emoexp.explain import Keywords
from emoexp.generation import generate
from emoexp.llm.estimating_backend import DryRunBackend, format_summary
from emoexp.stages.generate import response_cache_path
from emoexp.stages.seed import SeedData
from emoexp.tracking.job_record import write_json


def dry_run_stage(
    cfg: Config,
    seed: SeedData,
    keywords: Keywords | None,
    taxonomy: Taxonomy,
    store: ArtifactStore,
    job_dir: Path,
) -> dict[str, Any]:
    llm_cfg = cfg.llm
    backend = DryRunBackend(llm_cfg, response_cache_path(store))
    try:
        with tempfile.TemporaryDirectory(prefix="emoexp-dry-run-") as scratch:
            output = generate(
                cfg.gen,
                backend,
                taxonomy,
                seed.train,
                keywords,
                Path(scratch),
                structured=llm_cfg.structured,
                language=cfg.data.language,
            )
    finally:
        backend.close()
    summary = backend.summary()
    summary["generation"] = {
        "strategy": cfg.gen.strategy,
        "placeholder_rows": len(output.accepted),
        "rejected": len(output.rejected),
    }
    print(format_summary(summary))
    write_json(job_dir / "dry_run.json", summary)
    return summary
