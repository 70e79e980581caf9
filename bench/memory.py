"""Memory benchmark (on demand), from the repository root: `python -m bench.memory [--families 200] [--scales …]`.

1. Quality. Over the seeded synthetic families of bench/memory_data.py, a scripted extractor stands in for the model
   (it proposes what a good model would, with noisy surprise), and every turn goes through the real
   gate/supersede/reinforce code and Postgres. Probes ask for each current fact through the real retrieval, embedded
   by the data's deterministic bag of word stems (no network), so the figures measure the memory rules and ranking,
   not an embedding model.
2. Latency. At each scale the table is filled afresh with random 1536-dimensional facts, a few hundred per family
   as the issue assumes (--facts-per-family, 300 by default: ~3,300 families at 1M facts), the families' facts
   interleaved as they would be written over time; the real retrieval query is timed for random families, and
   its plan at the largest scale is printed (EXPLAIN ANALYZE, BUFFERS) with the table's size and the server's
   memory settings, which the figures depend on.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
from pgvector import Vector

from bench.memory_data import DIMENSIONS, QUERIES, START, make_family, stem_embedding, unit
from memory.erase import forget_customer
from memory.facts import Candidate, store_facts
from memory.profile import Profile
from memory.retrieve import children_named
from storage.checkpoints import LatestCheckpointSaver
from storage.database import connect, embedded_server, open_pool, parse_target
from storage.memory import SEARCH_FACTS_SQL, load_profile, search_facts
from storage.migrate import migrate, setup_checkpointer


def random_vectors(rng: random.Random, count: int) -> list[Vector]:
    """Random unit vectors to fill the table with; reused across rows, which changes nothing for an exact
    search (every distance is computed anyway) nor for storage (each row keeps its own copy)."""
    return [Vector(unit([rng.gauss(0, 1) for _ in range(DIMENSIONS)])) for _ in range(count)]


async def quality(pool: asyncpg.Pool, saver: LatestCheckpointSaver, families: int, seed: int) -> None:
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
        saver = LatestCheckpointSaver(pool)
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
