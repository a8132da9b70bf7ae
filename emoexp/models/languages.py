"""Which languages an encoder was pretrained on, so a figure in another language is labelled.

`model.languages` lists ISO 639-1 codes; the aliases below stand for the pretraining sets of
the multilingual checkpoints. An empty list means "the languages of its training data"
(the tiny model, whose vocabulary is trained on the run's own texts).
"""

from __future__ import annotations

from collections.abc import Iterable


def _codes(table: str) -> frozenset[str]:
    """A language table written as whitespace-separated ISO codes."""
    return frozenset(table.split())


# CC-100, the corpus of XLM-R (and of multilingual-e5-small, mDeBERTa, XLM-T, which share it)
XLMR_LANGUAGES = _codes(
    """
    af am ar as az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl
    gu ha he hi hr hu hy id is it ja jv ka kk km kn ko ku ky la lo lt lv mg mk ml mn mr
    ms my ne nl no om or pa pl ps pt ro ru sa sd si sk sl so sq sr su sv sw ta te th tl
    tr ug uk ur uz vi xh yi zh
    """
)
# the Wikipedia languages of multilingual BERT (and of multilingual DistilBERT)
MBERT_LANGUAGES = _codes(
    """
    af an ar ast az ba bar be bg bn bpy br bs ca ce ceb cs cv cy da de el en es et eu fa
    fi fr fy ga gl gu he hi hr ht hu hy id io is it ja jv ka kk kn ko ky la lb lmo lt lv
    mg mk ml mn mr ms my nds ne new nl nn no oc pa pl pms pt ro ru scn sco sh sk sl sq
    sr su sv sw ta te tg th tl tr tt uk ur uz vi vo war yo zh
    """
)
ALIASES = {"xlmr": XLMR_LANGUAGES, "mbert": MBERT_LANGUAGES}


def covered_languages(declared: Iterable[str], training_languages: Iterable[str]) -> set[str]:
    """The declared codes with aliases expanded; the training data's languages when none are
    declared."""
    codes: set[str] = set()
    for code in declared:
        codes |= ALIASES.get(code, {code})
    return codes or set(training_languages)
