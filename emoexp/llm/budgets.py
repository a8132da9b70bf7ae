"""Reply budgets (max_tokens) by request kind.

One `llm.max_tokens` for every request cut JSON replies and whole dialogues short: a JSON
post carries its keys and labels around the text, a dialogue has several turns. Each request
names its kind (and, for a dialogue, its turns); its budget follows from the kind, whether
JSON is asked for, and `llm.max_tokens` (the budget of one plain post), unless
`llm.token_budgets` overrides it. A request with an explicit `max_tokens` keeps it.
"""

from __future__ import annotations

import math

from emoexp.llm.config import LLMConfig
from emoexp.llm.structured import response_format_for
from emoexp.llm.types import ChatRequest

KINDS = ("post", "persona", "turn", "dialogue_turn", "judge", "json_overhead")


def default_budget(cfg: LLMConfig, kind: str) -> int:
    """Budgets derived from the plain-post budget `llm.max_tokens` (60 by default)."""
    post = cfg.max_tokens
    derived = {
        "post": post,
        # a persona background or situation: two or three sentences
        "persona": post,
        # one dialogue line
        "turn": post,
        # one line of a whole dialogue asked in one request (name, text; JSON adds the rest)
        "dialogue_turn": max(40, post * 2 // 3),
        # a judge's score: a digit, maybe with a word or two around it; a post's budget only
        # lets a small model go on explaining itself (the score parser reads the first number)
        "judge": 16,
        # keys, quotes and labels JSON puts around one text
        "json_overhead": 40,
    }
    if kind not in derived:
        raise ValueError(f"unknown request kind {kind!r}; known: {KINDS}")
    return derived[kind]


def token_budget(
    cfg: LLMConfig, kind: str, *, structured: bool, units: int = 1, text_factor: float = 1.0
) -> int:
    """Tokens a reply of this kind may take: `units` items of `kind` (a dialogue's turns),
    each `text_factor` times the English text's budget (its language's tokens per post),
    plus JSON's overhead per item when the reply is JSON."""
    budgets = cfg.token_budgets or {}
    unknown = sorted(set(budgets) - set(KINDS))
    if unknown:
        raise ValueError(f"llm.token_budgets: unknown kinds {unknown}; known: {KINDS}")
    per_item = math.ceil(budgets.get(kind, default_budget(cfg, kind)) * text_factor)
    if structured:
        per_item += budgets.get("json_overhead", default_budget(cfg, "json_overhead"))
    return max(1, per_item * max(1, units))


def effective_max_tokens(cfg: LLMConfig, request: ChatRequest) -> int:
    """The max_tokens a request is sent with (part of its cache key)."""
    if request.max_tokens is not None:
        base = request.max_tokens
    elif request.kind:
        structured = response_format_for(cfg, request) is not None or bool(
            request.metadata.get("structured")
        )
        base = token_budget(
            cfg,
            request.kind,
            structured=structured,
            units=request.budget_units,
            text_factor=request.text_factor,
        )
    else:
        base = cfg.max_tokens
    return base * max(1, request.budget_factor)
