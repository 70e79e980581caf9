"""Finding products for a customer's words and constraints, over the (small) active catalog in memory.

Category and colour words in the text act as filters, like the explicit filters; the remaining words are matched
against names (typos tolerated), subcategories, descriptions. Vector similarity, when the catalog has embeddings,
re-ranks the word matches and stands in for them when no word matched anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from catalog.sizes import Verdict, size_for_height
from catalog.vocabulary import Term, Vocabulary, is_typo_of
from models.products import Product

NAME_WEIGHT, NAME_TYPO_WEIGHT, OTHER_WEIGHT = 3.0, 2.5, 1.0
SIMILARITY_WEIGHT = 2.0
MIN_SIMILARITY = 0.3  # below this a vector neighbour is not shown when no word matched
SIMILAR_ONLY_LIMIT = 5


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    category: str | None = None
    height_cm: int | None = None
    color: str | None = None
    max_price: Decimal | None = None


@dataclass(frozen=True)
class Match:
    product: Product
    size: str | None  # the size for the asked height
    price: Decimal  # for that size, or the lowest price of the product
    colors: tuple[str, ...]  # the product's colours matching the asked colour (all when none was asked)
    score: float
    sold_out: str | None = None  # the size for the asked height when the shop has none of it left


def search(vocabulary: Vocabulary, products: Sequence[Product], query: SearchQuery,
           similarity: Mapping[int, float] | None = None) -> list[Match]:
    similarity = similarity or {}
    terms = vocabulary.terms(query.text)
    category = _Facet.of(terms, vocabulary.terms(query.category), lambda t: t.categories)
    colour = _Facet.of(terms, vocabulary.terms(query.color), lambda t: t.colours)
    free = [t for t in terms if not t.categories and not t.colours]
    indexed = [_index(vocabulary, p) for p in products]
    # Words that name nothing in the whole catalog ("якісь", "дівчинки") do not narrow the search.
    meaningful = [t for t in free if any(_term_score(item, t) for item in indexed)]
    candidates = [c for c in (_filtered(item, query, category, colour) for item in indexed) if c]

    if meaningful:
        ranked = [(s + SIMILARITY_WEIGHT * similarity.get(c.product.id, 0.0), c)
                  for c, s in _score(candidates, meaningful)]
    elif not free or category.wanted or colour.wanted:
        ranked = [(similarity.get(c.product.id, 0.0), c) for c in candidates]
    else:  # only unknown words: the nearest products by meaning, if any are near enough
        near = [(similarity.get(c.product.id, 0.0), c) for c in candidates]
        ranked = sorted((x for x in near if x[0] >= MIN_SIMILARITY), key=lambda x: -x[0])[:SIMILAR_ONLY_LIMIT]
    ranked.sort(key=lambda x: (-x[0], x[1].price, x[1].product.name))
    return [Match(c.product, c.size, c.price, c.colors, round(score, 4), c.sold_out) for score, c in ranked]


@dataclass(frozen=True)
class _Facet:
    """A category or colour asked for: groups from the vocabulary, plus the filter's own words for values the
    vocabulary does not list (a new category the shop added)."""

    wanted: bool
    groups: frozenset[int]
    lemmas: frozenset[str]

    @classmethod
    def of(cls, text_terms: list[Term], filter_terms: list[Term], groups_of: Callable[[Term], frozenset[int]]
           ) -> _Facet:
        named = [t for t in text_terms if groups_of(t)] + filter_terms
        return cls(bool(named), _union(groups_of(t) for t in named), _union(t.lemmas for t in filter_terms))

    def matches(self, groups: frozenset[int], lemmas: frozenset[str]) -> bool:
        return not self.wanted or bool(self.groups & groups or self.lemmas & lemmas)


@dataclass(frozen=True)
class _Indexed:
    product: Product
    name: list[Term]
    other: frozenset[str]
    categories: frozenset[int]
    category_lemmas: frozenset[str]
    colours: dict[str, tuple[frozenset[int], frozenset[str]]]


def _index(vocabulary: Vocabulary, product: Product) -> _Indexed:
    name = vocabulary.terms(product.name)
    category_terms = vocabulary.terms(f"{product.category or ''} {product.name}")
    other = vocabulary.terms(f"{product.subcategory or ''} {product.description or ''}")
    colours = {}
    for color in product.colors:
        color_terms = vocabulary.terms(color)
        colours[color] = (_union(t.colours for t in color_terms), _union(t.lemmas for t in color_terms))
    return _Indexed(
        product=product, name=name, other=_union(t.lemmas for t in other),
        categories=_union(t.categories for t in category_terms),
        category_lemmas=_union(t.lemmas for t in vocabulary.terms(product.category)), colours=colours,
    )


@dataclass(frozen=True)
class _Candidate:
    item: _Indexed
    size: str | None
    price: Decimal
    colors: tuple[str, ...]
    sold_out: str | None = None

    @property
    def product(self) -> Product:
        return self.item.product


def _filtered(item: _Indexed, query: SearchQuery, category: _Facet, colour: _Facet) -> _Candidate | None:
    product = item.product
    if not category.matches(item.categories, item.category_lemmas):
        return None
    colors = tuple(c for c, (groups, lemmas) in item.colours.items() if colour.matches(groups, lemmas))
    if colour.wanted and not colors:
        return None
    size = sold_out = None
    if query.height_cm is not None:
        advice = size_for_height(product.sizes, query.height_cm)
        if advice.verdict is not Verdict.FITS or advice.size is None:
            return None
        # A sold-out size is never offered; the product stays in the answer so the customer hears it is sold out.
        size, sold_out = (advice.size, None) if product.in_stock(advice.size) else (None, advice.size)
    price = product.price_for(size) if size else product.min_price
    if query.max_price is not None and price > query.max_price:
        return None
    return _Candidate(item, size, price, colors, sold_out)


def _score(candidates: list[_Candidate], free: list[Term]) -> list[tuple[_Candidate, float]]:
    """Word-match score per candidate; candidates no word matches are left out."""
    scored = [(c, sum(_term_score(c.item, t) for t in free)) for c in candidates]
    return [(c, s) for c, s in scored if s > 0]


def _term_score(item: _Indexed, term: Term) -> float:
    if any(term.lemmas & name.lemmas for name in item.name):
        return NAME_WEIGHT
    if any(is_typo_of(term.word, lemma) for name in item.name for lemma in name.lemmas | {name.word}):
        return NAME_TYPO_WEIGHT
    return OTHER_WEIGHT if term.lemmas & item.other else 0.0


def _union(sets: object) -> frozenset:
    return frozenset().union(*sets)  # type: ignore[call-overload]
