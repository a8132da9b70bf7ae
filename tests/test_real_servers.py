"""The presets against real servers (vLLM's CPU build, llama.cpp), skipped when none listens.

Start them with ../shared/tools/peers/serve_vllm.sh and serve_llama.sh (the embedded SmolLM2
as `smollm2` on :8011 and :8012); benchmarks/real_servers.py reports the full table."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from emoexp.config.schema import register_configs
from emoexp.data.schema import provenance_of, rows_to_dataset
from emoexp.data.taxonomy import load_taxonomy
from emoexp.generation import GenConfig, generate
from emoexp.llm.config import LLMConfig
from emoexp.llm.engine import OpenAICompatibleBackend

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
TAXONOMY = load_taxonomy("emo11")


def listening(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=3) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize(
    ("preset", "base_url"),
    [("vllm", "http://127.0.0.1:8011/v1"), ("llama_cpp", "http://127.0.0.1:8012/v1")],
)
def test_the_preset_gets_structured_posts_from_the_real_server(
    preset: str, base_url: str, tmp_path: Path
) -> None:
    if not listening(base_url):
        pytest.skip(f"no {preset} server at {base_url}")
    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=[
                f"llm={preset}",
                "llm.model=smollm2",
                f"llm.base_url=[{base_url}]",
                "llm.progress=false",
                "llm.max_concurrency=8",
            ],
        )
    llm: LLMConfig = OmegaConf.to_object(cfg.llm)  # type: ignore[assignment]
    backend = OpenAICompatibleBackend(llm, None)
    out = generate(
        GenConfig(strategy="naive", samples_per_label=1),
        backend,
        TAXONOMY,
        rows_to_dataset([]),
        None,
        tmp_path,
        structured=llm.structured,
    )
    samples = len(out.accepted) + len(out.rejected)
    assert samples == len(TAXONOMY.labels)
    # the server took the preset's form: no request failed on the transport or the format
    assert out.stats["llm_errors"] == 0
    # at most one larger budget and the re-asks per sample
    assert out.stats["requests"] <= samples * (2 + GenConfig().max_reasks)
    assert len(out.accepted) > 0
    for row in out.rejected.to_list():
        assert provenance_of(row)["reason"]
    for text in out.accepted["text"]:
        assert "<the post>" not in text and "That reply could not be used" not in text
