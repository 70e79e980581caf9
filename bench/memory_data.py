"""The memory benchmark's data (bench/memory.py runs it): a seeded synthetic kids'-shop data set in Ukrainian.

Families with 1-3 children (sibling look-alikes such as Марійка/Марічка), heights growing over months with size
changes, favourite colours later contradicted, allergies, moves to another city, repeats, small talk, and some
families asking to be forgotten; each family is a list of (day, fact a good model would propose) and the truth the
probes ask for (QUERIES: one question per slot). The stand-in embedder is a deterministic bag of word stems (no
network), so the figures measure the memory rules and ranking, not an embedding model.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from memory.facts import ProposedFact

DIMENSIONS = 1536
START = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
LOOK_ALIKES = [("Марійка", "Марічка"), ("Софійка", "Соня"), ("Андрійко", "Андрій"), ("Оленка", "Олеся"),
               ("Максим", "Максимко"), ("Іванко", "Іван")]
NAMES = ["Марійка", "Андрійко", "Софійка", "Богдан", "Оленка", "Тарас", "Злата", "Остап", "Дарина", "Максим",
         "Вероніка", "Назар", "Ярина", "Матвій", "Соломія", "Іванко"]
COLOURS = ["рожевий", "блакитний", "жовтий", "зелений", "бежевий", "червоний", "бузковий", "сірий"]
CITIES = ["Львів", "Київ", "Одеса", "Харків", "Дніпро", "Вінниця", "Полтава", "Ужгород", "Луцьк", "Чернігів"]
ALLERGENS = ["синтетику", "вовну", "барвники"]
SMALL_TALK = ["Дякую!", "Добрий день", "Гарного вечора", "Зрозуміло, дякую", "Окей"]


def stem_embedding(text: str) -> list[float]:
    """A unit vector of the text's word stems (first five letters): word forms of one name or word meet."""
    vector = [0.0] * DIMENSIONS
    for word in text.lower().replace("?", " ").replace(":", " ").split():
        digest = hashlib.sha256(word[:5].encode()).digest()
        for i in range(0, 16, 2):
            vector[int.from_bytes(digest[i:i + 2], "big") % DIMENSIONS] += 1.0
    return unit(vector)


def unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def size_for(height: int) -> str:
    low = max(80, (height - 1) // 6 * 6 - 4)
    return f"{low}-{low + 6}"


def proposal(content: str, *, slot: str | None = None, value: object = None, child: str | None = None,
             fact_type: str = "preference", category: str = "child", importance: float = 0.8,
             surprise: float = 0.8) -> ProposedFact:
    return ProposedFact(content=content, fact_type=fact_type, category=category, importance=importance,
                        surprise=surprise, confidence=0.8, child=child, slot=slot,
                        value=None if value is None else str(value))


@dataclass
class Family:
    user_id: str
    children: list[str]
    events: list[tuple[int, ProposedFact]] = field(default_factory=list)
    truth: dict[tuple[str, str], str] = field(default_factory=dict)  # (child key, slot) -> current value(s, |)
    allergies: dict[str, str] = field(default_factory=dict)  # child key -> content
    erase: bool = False


def make_family(rng: random.Random, user_id: str) -> Family:
    count = rng.choice([1, 1, 2, 2, 3])
    if count > 1 and rng.random() < 0.5:
        pair = list(rng.choice(LOOK_ALIKES))
        children = pair + rng.sample([n for n in NAMES if n not in pair], count - 2)
    else:
        children = rng.sample(NAMES, count)
    family = Family(user_id, children, erase=rng.random() < 0.05)
    say = family.events.append
    for name in children:
        key, day = name.lower(), rng.randint(0, 10)
        height, age = rng.randint(86, 150), rng.randint(1, 12)
        say((day, proposal(f"{name}: {age} років", slot="age", value=age, child=name)))
        say((day, proposal(f"{name} має зріст {height} см", slot="height_cm", value=height, child=name)))
        say((day, proposal(f"{name} носить розмір {size_for(height)}", slot="size", value=size_for(height),
                           child=name)))
        for _ in range(rng.randint(1, 3)):  # growing; the model often thinks a new height is no surprise
            day += rng.randint(30, 70)
            height += rng.randint(2, 5)
            say((day, proposal(f"{name} має зріст {height} см", slot="height_cm", value=height, child=name,
                               surprise=rng.choice([0.1, 0.3, 0.7]))))
            say((day, proposal(f"{name} носить розмір {size_for(height)}", slot="size", value=size_for(height),
                               child=name, surprise=0.5)))
        if rng.random() < 0.6:  # a repeat of what is known
            say((day + 3, proposal(f"{name} має зріст {height} см", slot="height_cm", value=height, child=name,
                                   surprise=0.1)))
        family.truth[(key, "height_cm")] = str(height)
        family.truth[(key, "size")] = size_for(height)
        liked = rng.sample(COLOURS, rng.randint(1, 2))
        for colour in liked:
            say((rng.randint(0, 200), proposal(f"{name} любить {colour} колір", slot="favorite_colors",
                                               value=colour, child=name, category="style")))
        if len(liked) == 2 and rng.random() < 0.3:  # a contradiction, later
            say((230, proposal(f"{name} більше не любить {liked[1]} колір", slot="avoided_colors",
                               value=liked[1], child=name, category="style", surprise=0.9)))
            liked = liked[:1]
        family.truth[(key, "favorite_colors")] = "|".join(liked)
        if rng.random() < 0.25:
            content = f"{name}: алергія на {rng.choice(ALLERGENS)}"
            say((rng.randint(0, 200), proposal(content, child=name, fact_type="constraint", importance=1.0)))
            family.allergies[key] = content
    city, branch = rng.choice(CITIES), rng.randint(1, 300)
    say((5, proposal(f"Доставка у місто {city}", slot="city", value=city, fact_type="logistics",
                     category="delivery")))
    say((5, proposal(f"Нова Пошта, відділення {branch}", slot="branch", value=branch, fact_type="logistics",
                     category="delivery")))
    if rng.random() < 0.25:
        city, branch = rng.choice([c for c in CITIES if c != city]), rng.randint(1, 300)
        say((150, proposal(f"Доставка у місто {city}", slot="city", value=city, fact_type="logistics",
                           category="delivery", surprise=0.3)))
        say((150, proposal(f"Нова Пошта, відділення {branch}", slot="branch", value=branch,
                           fact_type="logistics", category="delivery", surprise=0.3)))
    family.truth[("", "city")], family.truth[("", "branch")] = city, str(branch)
    for _ in range(rng.randint(2, 5)):
        say((rng.randint(0, 240), proposal(rng.choice(SMALL_TALK), fact_type="behavior", category="style",
                                           importance=0.1)))
    family.events.sort(key=lambda e: e[0])
    return family


QUERIES = {"height_cm": "Який зріст має {name}?", "size": "Який розмір носить {name}?",
           "favorite_colors": "Який колір любить {name}?", "city": "У яке місто доставка?",
           "branch": "Яке відділення Нової Пошти?"}
