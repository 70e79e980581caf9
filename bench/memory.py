"""Memory benchmark (on demand), from the repository root: `python -m bench.memory [--families 200] [--scales …]`.

1. Quality. A seeded synthetic kids'-shop data set in Ukrainian: families with 1-3 children (sibling look-alikes
   such as Марійка/Марічка), heights growing over months with size changes, favourite colours later
   contradicted, allergies, moves to another city, repeats, small talk, and some families asking to be
   forgotten. A scripted extractor stands in for the model (it proposes what a good model would, with noisy
   surprise), and every turn goes through the real gate/supersede/reinforce code and Postgres. Probes ask for
   each current fact through the real retrieval. The embedder is a deterministic bag of word stems (no network),
   so the figures measure the memory rules and ranking, not an embedding model.
2. Latency. At each scale the table is filled afresh with random 1536-dimensional facts, a few hundred per family
   as the issue assumes (--facts-per-family, 300 by default: ~3,300 families at 1M facts), the families' facts
   interleaved as they would be written over time; the real retrieval query is timed for random families, and
   its plan at the largest scale is printed (EXPLAIN ANALYZE, BUFFERS) with the table's size and the server's
   memory settings, which the figures depend on.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from pgvector import Vector

from memory.erase import forget_customer
from memory.facts import Candidate, ProposedFact, store_facts
from memory.profile import Profile
from memory.retrieve import children_named
from storage.database import connect, embedded_server, open_pool, parse_target
from storage.memory import SEARCH_FACTS_SQL, load_profile, search_facts
from storage.migrate import migrate, setup_checkpointer

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


def random_vectors(rng: random.Random, count: int) -> list[Vector]:
    """Random unit vectors to fill the table with; reused across rows, which changes nothing for an exact
    search (every distance is computed anyway) nor for storage (each row keeps its own copy)."""
    return [Vector(unit([rng.gauss(0, 1) for _ in range(DIMENSIONS)])) for _ in range(count)]


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


async def quality(pool: asyncpg.Pool, saver: AsyncPostgresSaver, families: int, seed: int) -> None:
    rng = random.Random(seed)
    data = [make_family(rng, f"bench-{i}") for i in range(families)]
    turns = Counter[str]()
    for family in data:
        for day, fact in family.events:
            outcome = await store_facts(pool, family.user_id, family.user_id,
                                        [Candidate(fact, stem_embedding(fact.content))], START + timedelta(days=day),
                                        erasure_seen=None)
            turns.update(outcome)
    erased = [f for f in data if f.erase]
    for family in erased:
        await forget_customer(pool, saver, family.user_id, family.user_id)
    now = START + timedelta(days=260)

    probes = top1 = top5 = stale = shown = sibling = leaks = 0
    for family in data:
        names = {name.lower(): name for name in family.children}
        row = await load_profile(pool, family.user_id)
        asks = [(key, slot, QUERIES[slot].format(name=names.get(key, ""))) for key, slot in family.truth]
        asks += [(key, "allergy", f"{names[key]} алергія?") for key in family.allergies]
        for key, slot, query in asks:
            focus = children_named(Profile.from_row(row), query) if row is not None else []
            rows = await search_facts(pool, family.user_id, stem_embedding(query), now, 5, focus)
            leaks += sum(r["user_id"] != family.user_id for r in rows)
            if family.erase:
                leaks += len(rows)
                continue
            probes += 1
            expected = family.allergies.get(key) if slot == "allergy" else family.truth[(key, slot)]
            hits = [r["content"] == expected if slot == "allergy" else
                    (r["child_key"], r["slot"]) == (key, slot) and r["slot_value"] in expected.split("|")
                    for r in rows]
            top1 += bool(hits and hits[0])
            top5 += any(hits)
            shown += len(rows)
            stale += sum(r["child_key"] == key and r["slot"] == slot and r["slot_value"] not in expected.split("|")
                         for r in rows if slot != "allergy")
            sibling += bool(rows and not hits[0] and rows[0]["slot"] == slot and rows[0]["child_key"] != key)
    duplicates = await pool.fetchval(
        """SELECT coalesce(sum(n - 1), 0) FROM (
               SELECT count(*) AS n FROM mirt_memories WHERE is_active
               GROUP BY user_id, child_key, coalesce(slot, ''), CASE WHEN slot IS NULL THEN content
                                                                     ELSE value_key END) AS g""")
    left = await pool.fetchval("SELECT count(*) FROM mirt_memories WHERE user_id = ANY($1::text[])",
                               [f.user_id for f in erased])
    print(f"families {families} (erased {len(erased)}), turns {sum(turns.values())}: {dict(turns)}")
    print(f"probes {probes}: accuracy@1 {top1 / probes:.1%}, recall@5 {top5 / probes:.1%}, "
          f"stale in top-5 {stale / max(shown, 1):.2%}, sibling confusion {sibling / probes:.2%}, "
          f"duplicates {duplicates}, cross-customer leaks {leaks + left}")


async def fill(pool: asyncpg.Pool, facts: int, families: int, rng: random.Random, vectors: list[Vector]) -> None:
    """Replace the table's rows with `facts` random facts of `families` families, each family holding its share
    (± 1), in an order that interleaves the families as time would."""
    await pool.execute("TRUNCATE mirt_profiles CASCADE")
    await pool.executemany("INSERT INTO mirt_profiles (user_id) VALUES ($1)", [(f"load-{c}",) for c in range(families)])
    owners = [i % families for i in range(facts)]
    rng.shuffle(owners)
    chunk = 5000
    for offset in range(0, facts, chunk):
        records = [(f"load-{owner}", f"факт {offset + i}", "preference", "style", 0.8, 0.8, 0.01,
                    rng.choice(vectors), START + timedelta(days=rng.randrange(365)))
                   for i, owner in enumerate(owners[offset:offset + chunk])]
        async with pool.acquire() as conn:
            await conn.copy_records_to_table(
                "mirt_memories", records=records,
                columns=["user_id", "content", "fact_type", "category", "importance", "surprise", "decay_rate",
                         "embedding", "last_confirmed_at"])


async def explain(pool: asyncpg.Pool, user_id: str, query: Vector, now: datetime) -> None:
    async with pool.acquire() as conn:
        plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {SEARCH_FACTS_SQL}", user_id, query, now, 5, [])
        sizes = await conn.fetchrow(
            """SELECT pg_size_pretty(pg_relation_size('mirt_memories')) AS heap,
                      pg_size_pretty(pg_relation_size(reltoastrelid)) AS toast
               FROM pg_class WHERE relname = 'mirt_memories'""")
        settings = await conn.fetch(
            """SELECT name, current_setting(name) AS value FROM pg_settings
               WHERE name IN ('shared_buffers', 'effective_cache_size', 'work_mem', 'server_version')
               ORDER BY name""")
    print(f"plan of the retrieval query for {user_id} (table: heap {sizes['heap']}, TOAST {sizes['toast']}; "
          + ", ".join(f"{s['name']} {s['value']}" for s in settings) + "):")
    for (line,) in plan:
        if line.lstrip().startswith("Sort Key:"):
            line = line[:line.index("Sort Key:")] + "Sort Key: score DESC, last_confirmed_at DESC"
        print("    " + re.sub(r"'\[[^\]]*\]'::vector", "$query", line))


async def latency(pool: asyncpg.Pool, scales: list[int], per_family: int, queries: int, seed: int) -> None:
    rng = random.Random(seed)
    vectors = random_vectors(rng, 2000)
    now = START + timedelta(days=365)
    for scale in scales:
        families = max(1, round(scale / per_family))
        started = time.perf_counter()
        await fill(pool, scale, families, rng, vectors)
        await pool.execute("VACUUM ANALYZE mirt_memories")
        loaded = time.perf_counter() - started
        timings = []
        for i in range(queries + 20):
            query, user = rng.choice(vectors), f"load-{rng.randrange(families)}"
            begun = time.perf_counter()
            await search_facts(pool, user, query, now, 5)
            if i >= 20:  # the first queries warm the connection's statement cache
                timings.append((time.perf_counter() - begun) * 1000)
        q = statistics.quantiles(timings, n=100)
        print(f"{scale:>9,} facts ({families:,} families × ~{scale // families} facts, interleaved): "
              f"p50 {q[49]:.2f} ms, p95 {q[94]:.2f} ms over {queries} queries of random families "
              f"(loaded in {loaded:.0f} s)")
        if scale == max(scales):
            await explain(pool, f"load-{rng.randrange(families)}", rng.choice(vectors), now)


async def main(args: argparse.Namespace) -> None:
    server = None
    if args.database_url:
        url = args.database_url
    else:
        scratch = Path(tempfile.mkdtemp(prefix="mirt-bench-"))
        server = embedded_server(scratch / "pg", "delete")
        url = server.get_uri()  # type: ignore[attr-defined]
    target = parse_target(url)
    conn = await connect(target)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    pool = await open_pool(target, 4)
    try:
        async with AsyncPostgresSaver.from_conn_string(url) as saver:
            await setup_checkpointer(saver)
            await quality(pool, saver, args.families, args.seed)
        await latency(pool, [int(s) for s in args.scales.split(",")], args.facts_per_family, args.queries,
                      args.seed)
    finally:
        await pool.close()
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]
            scratch.rmdir()  # cleanup() deletes pgdata, not the folder made for it


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=200)
    parser.add_argument("--scales", default="10000,100000,1000000")
    parser.add_argument("--facts-per-family", type=int, default=300,
                        help="latency: facts per family, so the number of families grows with the scale")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--database-url", help="an empty database; default: an embedded Postgres in a temp dir")
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
