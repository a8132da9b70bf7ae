"""Schema of the `gen/` group: which generation strategy, how many samples, and each
strategy's own knobs (one nested block per strategy, so a sweep can name e.g.
`gen.persona.stages` or `gen.multilingual.languages`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class NaiveConfig:
    # prompt template file (emoexp/generation/templates/<name>.v<N>.yaml)
    template: str = "naive.v2"


@dataclass
class ShapConfig:
    template: str = "shap.v2"
    # SHAP keywords shown per requested label (the strongest first)
    keywords_per_label: int = 8
    # real seed texts shown per requested label
    exemplars_per_label: int = 3
    # exemplars longer than this many characters are cut, to keep prompts short
    max_exemplar_chars: int = 280
    # a keywords.json to read instead of the explain stage's output; empty = use the stage's
    keywords_file: str = ""


@dataclass
class PersonaConfig:
    # LLM-free stage `base` samples the persona from the pools below; `background` and
    # `situation` are LLM stages; the final text stage always runs. Drop a stage to ablate it.
    stages: list[str] = field(default_factory=lambda: ["base", "background", "situation"])
    background_template: str = "persona_background.v1"
    situation_template: str = "persona_situation.v1"
    text_template: str = "persona_text.v2"
    ages: list[str] = field(
        default_factory=lambda: ["16", "19", "23", "27", "31", "36", "42", "48", "55", "63", "71"]
    )
    genders: list[str] = field(default_factory=lambda: ["woman", "man", "non-binary person"])
    # where the persona is from: the culture the background stage writes about
    nationalities: list[str] = field(
        default_factory=lambda: [
            "the United States",
            "Mexico",
            "Brazil",
            "Argentina",
            "the United Kingdom",
            "Ireland",
            "Germany",
            "Poland",
            "Nigeria",
            "Kenya",
            "South Africa",
            "Egypt",
            "Turkey",
            "India",
            "Pakistan",
            "the Philippines",
            "Indonesia",
            "Japan",
            "South Korea",
            "Australia",
            "Canada",
            "Jamaica",
        ]
    )
    occupations: list[str] = field(
        default_factory=lambda: [
            "nurse",
            "student",
            "software developer",
            "farmer",
            "teacher",
            "bus driver",
            "retired accountant",
            "chef",
            "shop owner",
            "construction worker",
            "musician",
            "unemployed graphic designer",
            "lawyer",
            "stay-at-home parent",
            "warehouse worker",
            "journalist",
        ]
    )
    personality_types: list[str] = field(
        default_factory=lambda: [
            "outgoing and talkative",
            "shy and reflective",
            "anxious and careful",
            "calm and easy-going",
            "blunt and impatient",
            "warm and caring",
            "sarcastic and witty",
            "ambitious and driven",
            "dreamy and creative",
            "practical and down-to-earth",
        ]
    )


@dataclass
class ConversationConfig:
    template: str = "conversation_turn.v1"
    # JSON mode: one request per whole dialogue
    dialogue_template: str = "conversation_dialogue.v2"
    # plain-text mode: "turns" asks one utterance per request (works with tiny models),
    # "lines" asks for the whole dialogue as "Name: utterance" lines and parses them
    plain_mode: str = "turns"
    speakers: int = 2
    turns_min: int = 3
    turns_max: int = 6
    # previous turns shown when a turn is generated on its own (plain-text mode)
    context_turns: int = 4
    # share of all turns kept for `neutral_label` even when the label plan would give it
    # fewer (fill_underrepresented gives a corpus' dominant neutral class none); 0 = the plan
    neutral_share: float = 0.0
    neutral_label: str = "neutral"
    # who chooses each dialogue's emotion sequence: "plan" (the label plan's emotions
    # shuffled into dialogues) or "llm" (the LLM proposes the arc for the setting; a reply
    # naming too few known emotions keeps the planned arc, counted in the stats)
    arc: str = "plan"
    arc_template: str = "conversation_arc.v1"
    speaker_names: list[str] = field(
        default_factory=lambda: ["Alex", "Sam", "Jordan", "Maya", "Chris", "Priya", "Leo", "Nora"]
    )
    settings: list[str] = field(
        default_factory=lambda: [
            "two flatmates in their kitchen",
            "colleagues on a coffee break",
            "friends texting late at night",
            "siblings at a family dinner",
            "a couple on a long car ride",
            "neighbours meeting in the stairwell",
            "teammates after a match",
            "old friends meeting by chance",
        ]
    )


@dataclass
class MultilingualConfig:
    template: str = "multilingual.v3"
    # pools of situations, topics, registers, names and emotion names sampled per request
    # (same YAML layout as emoexp/generation/cultural_pools.yaml); empty = the built-in one
    pools_file: str = ""
    # ISO 639-1 codes from the language table (emoexp/generation/languages.yaml)
    languages: list[str] = field(default_factory=lambda: ["en", "de", "es", "hi", "sw"])
    # "per_language": each language gets the full per-label plan (K languages, K times the
    # requests); "split": one plan, its samples dealt to the languages in turn, so every
    # language set costs the same and each language still gets every emotion
    plan: str = "per_language"
    # another language table (same YAML layout); empty = the built-in one
    languages_file: str = ""


@dataclass
class GenConfig:
    # none, naive, shap, persona, conversation, multilingual
    strategy: str = "none"
    # samples whose first (primary) label is each taxonomy label
    samples_per_label: int = 0
    seed: int = 0
    # label -> number of samples; when set, replaces samples_per_label and label_distribution
    target_distribution: dict[str, int] = field(default_factory=dict)
    # how samples_per_label x labels is split across labels: "uniform" (each label alike),
    # "seed" (mimic the seed set), "fill_underrepresented" (mostly the classes rare in the seed)
    label_distribution: str = "uniform"
    # up to this many emotions per sample (conversation turns always carry one)
    max_labels_per_sample: int = 1
    # P(k labels) is proportional to extra_label_decay ** (k - 1): most samples single-label
    extra_label_decay: float = 0.35
    # labels never combined with another (a "neutral" that is also "angry" is a contradiction)
    exclusive_labels: list[str] = field(default_factory=lambda: ["neutral"])
    # JSON mode: how often a malformed or invalid reply is asked again before it is rejected
    max_reasks: int = 2
    # share of planned samples that may stay unanswered by the LLM (after its retries)
    # before the job fails; the share missing is reported in metrics.json either way
    max_missing_fraction: float = 0.0
    # plain-text mode: drop a trailing sentence fragment cut off by the token limit
    trim_incomplete: bool = True
    # replies shorter than this (characters, after cleaning) are rejected
    min_chars: int = 3
    # a Hugging Face dataset repo id to push the result and its card to; empty = off
    push_to_hub: str = ""
    hub_private: bool = True
    naive: NaiveConfig = field(default_factory=NaiveConfig)
    shap: ShapConfig = field(default_factory=ShapConfig)
    persona: PersonaConfig = field(default_factory=PersonaConfig)
    conversation: ConversationConfig = field(default_factory=ConversationConfig)
    multilingual: MultilingualConfig = field(default_factory=MultilingualConfig)
