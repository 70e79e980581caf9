"""Customers' words reduced to dictionary forms: Ukrainian first, Russian for Russian and surzhyk wording.

pymorphy3 with its Ukrainian and Russian dictionaries does the morphology ("сукню" → "сукня", "платье" → "платье");
this module only cleans the text it is given: Latin look-alike letters typed inside Cyrillic words ("лагунa"),
the three apostrophes Ukrainians type, hyphenated words.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pymorphy3

# After lowercasing: Latin letters that look like Cyrillic ones, fixed only inside words that have Cyrillic.
_LOOKALIKES = str.maketrans("aceiopxykmtbh", "асеіорхукмтвн")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "‘": "'"})
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_CYRILLIC = re.compile(r"[а-яіїєґё]")


class Morphology:
    def __init__(self) -> None:
        self._uk = pymorphy3.MorphAnalyzer(lang="uk")
        self._ru = pymorphy3.MorphAnalyzer(lang="ru")
        self.lemmas = lru_cache(maxsize=50_000)(self._lemmas)

    def words(self, text: str) -> list[str]:
        """Lowercased words with look-alike Latin letters fixed; hyphenated words become their parts."""
        words = _WORD.findall(text.lower().translate(_APOSTROPHES))
        return [w.translate(_LOOKALIKES) if _CYRILLIC.search(w) else w for w in words]

    def _lemmas(self, word: str) -> frozenset[str]:
        """The word and every dictionary form it can be; unknown words keep the analyser's best guesses."""
        if self._uk.word_is_known(word):
            parses = self._uk.parse(word)
        elif self._ru.word_is_known(word):
            parses = self._ru.parse(word)
        else:
            parses = self._uk.parse(word)[:2]
        return frozenset({word, *(p.normal_form for p in parses)})
