"""Unanswered questions grouped for the shop: the same question in other words counts once more, not as new."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

SAME_QUESTION = 0.6  # Jaccard similarity of two questions' dictionary forms from which they are one question


@dataclass
class QuestionGroup:
    wording: str  # the first way a customer put it
    count: int
    lemmas: frozenset[str]


def group_questions(questions: list[str], lemmas: Callable[[str], frozenset[str]]) -> list[QuestionGroup]:
    """Questions (oldest first) grouped by meaning words, most asked first (ties: asked earlier first).

    `lemmas` gives a question's dictionary forms without filler words (`KnowledgeBase.lemmas`); a question with
    none (only filler words) is grouped by its exact text.
    """
    groups: list[QuestionGroup] = []
    for question in questions:
        words = lemmas(question) or frozenset({question.strip().casefold()})
        home = max(groups, key=lambda g: _jaccard(g.lemmas, words), default=None)
        if home is not None and _jaccard(home.lemmas, words) >= SAME_QUESTION:
            home.count += 1
        else:
            groups.append(QuestionGroup(question.strip(), 1, words))
    return sorted(groups, key=lambda g: -g.count)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0
