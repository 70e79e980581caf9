"""What customers' words mean to the catalog: which category or colour a word names (`words.uk.yaml`)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from rapidfuzz import fuzz

from catalog.morphology import Morphology

TYPO_SCORE = 80  # rapidfuzz ratio (0-100) from which a misspelt word still counts as the word
TYPO_MIN_LENGTH = 4  # shorter words are too easily mistaken for each other


@dataclass(frozen=True)
class Term:
    word: str
    lemmas: frozenset[str]
    categories: frozenset[int]
    colours: frozenset[int]


class Vocabulary:
    def __init__(self, morph: Morphology, categories: list[list[str]], colours: list[list[str]],
                 stop_words: list[str]) -> None:
        self.morph = morph
        self._categories = [self._lemma_set(group) for group in categories]
        self._colours = [self._lemma_set(group) for group in colours]
        self._stop_words = frozenset(w for word in stop_words for w in morph.words(word))

    def _lemma_set(self, words: list[str]) -> frozenset[str]:
        return frozenset(lemma for text in words for word in self.morph.words(text)
                         for lemma in self.morph.lemmas(word))

    def terms(self, text: str | None) -> list[Term]:
        """The meaningful words of `text`, each with its dictionary forms and the categories/colours it names."""
        words = [w for w in self.morph.words(text or "") if w not in self._stop_words]
        return [self._term(w) for w in words]

    def _term(self, word: str) -> Term:
        lemmas = self.morph.lemmas(word)
        categories = _groups(self._categories, word, lemmas)
        colours = _groups(self._colours, word, lemmas)
        return Term(word, lemmas, categories, colours)


def _groups(groups: list[frozenset[str]], word: str, lemmas: frozenset[str]) -> frozenset[int]:
    exact = frozenset(i for i, group in enumerate(groups) if lemmas & group)
    if exact or len(word) < TYPO_MIN_LENGTH:
        return exact
    return frozenset(i for i, group in enumerate(groups) if any(is_typo_of(word, known) for known in group))


def is_typo_of(word: str, known: str) -> bool:
    return min(len(word), len(known)) >= TYPO_MIN_LENGTH and fuzz.ratio(word, known) >= TYPO_SCORE


def load_vocabulary(morph: Morphology, path: Path | None = None) -> Vocabulary:
    source = path or resources.files("catalog") / "words.uk.yaml"
    data = yaml.safe_load(source.read_bytes().decode("utf-8"))
    return Vocabulary(morph, data["categories"], data["colours"], data["stop_words"])
