"""Which of the shop's knowledge entries answer a customer's question.

Words are compared by their dictionary forms (the catalog's morphology: "доставку" finds "доставка", "Львова" finds
"Львів"), typos tolerated for the words customers ask with. An entry answers when one of its customer words (or
its topic) is in the question, or when its text holds most of the question's words; vector similarity, when the
embedding model answers, adds to the ranking and alone admits an entry only when it is close in meaning. Entries
far below the best one are left out, so "доставка до Львова" does not also bring the terms for abroad.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import openai
import structlog

from catalog.embeddings import Embed, EmbeddingMismatch
from catalog.morphology import Morphology
from catalog.vocabulary import Term, Vocabulary, is_typo_of
from knowledge.file import Entry, Knowledge

log = structlog.get_logger(__name__)

WORD_WEIGHT, TEXT_WEIGHT, SIMILARITY_WEIGHT = 3.0, 1.0, 2.0
MIN_TEXT_WORDS = 2  # an entry found only through its text must share at least this many of the question's words
MIN_SIMILARITY = 0.55  # cosine; closer than this, meaning alone admits an entry
MAX_ENTRIES = 3
RELATIVE_CUT = 0.5  # entries scoring under this share of the best one are near misses, left out


@dataclass(frozen=True)
class _Indexed:
    entry: Entry
    words: frozenset[str]  # dictionary forms of the topic and the customers' words
    text: frozenset[str]  # dictionary forms of the shop's text


class KnowledgeBase:
    """The knowledge file, indexed once; `find` answers one question (an embedding call when a model is set)."""

    def __init__(self, knowledge: Knowledge, morph: Morphology, embed: Embed | None = None) -> None:
        self.knowledge = knowledge
        self._vocabulary = Vocabulary(morph, [], [], list(knowledge.stop_words))
        self._index = [self._indexed(entry) for entry in knowledge.entries]
        self._embed = embed
        self._vectors: list[list[float]] | None = None

    def lemmas(self, text: str) -> frozenset[str]:
        """Every dictionary form of the meaningful words of `text` (filler words of the file left out)."""
        return frozenset(lemma for term in self._vocabulary.terms(text) for lemma in term.lemmas)

    def _indexed(self, entry: Entry) -> _Indexed:
        return _Indexed(entry, self.lemmas(" ".join((entry.topic, *entry.words))), self.lemmas(entry.text))

    async def find(self, question: str) -> list[Entry]:
        """The entries that answer `question`, best first, at most MAX_ENTRIES; [] when none covers it."""
        terms = self._vocabulary.terms(question)
        similarity = await self._similarity(question)
        ranked = []
        for n, item in enumerate(self._index):
            by_words = sum(1 for t in terms if _hits(t, item.words, typos=True))
            by_text = sum(1 for t in terms if t.lemmas & item.text)
            near = similarity[n] if similarity else 0.0
            admitted = (by_words > 0 or (by_text >= MIN_TEXT_WORDS and 2 * by_text >= len(terms))
                        or near >= MIN_SIMILARITY)
            if admitted:
                ranked.append((WORD_WEIGHT * by_words + TEXT_WEIGHT * by_text + SIMILARITY_WEIGHT * near, n))
        ranked.sort(key=lambda x: (-x[0], x[1]))
        return [self._index[n].entry for score, n in ranked[:MAX_ENTRIES] if score >= RELATIVE_CUT * ranked[0][0]]

    async def _similarity(self, question: str) -> list[float] | None:
        if self._embed is None or not question.strip():
            return None
        try:
            if self._vectors is None:  # the file is fixed for the process: its entries are embedded once
                self._vectors = await self._embed([f"{e.topic}\n{e.text}" for e in self.knowledge.entries])
            [query] = await self._embed([question])
        except (openai.OpenAIError, EmbeddingMismatch) as exc:
            log.warning("knowledge_embedding_failed", error=type(exc).__name__)  # the words still find entries
            return None
        return [_cosine(query, vector) for vector in self._vectors]


def _hits(term: Term, lemmas: frozenset[str], typos: bool) -> bool:
    return bool(term.lemmas & lemmas) or (typos and any(is_typo_of(term.word, lemma) for lemma in lemmas))


def _cosine(a: list[float], b: list[float]) -> float:
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else 0.0
