"""Prometheus' text exposition format for GET /metrics, written out by hand: every figure is a query over Postgres
(the process keeps no counters of its own, so a restart or a second replica never skews them), which is exactly a
custom collector in prometheus_client; a dependency for twenty lines of `name value` is not worth it."""

from __future__ import annotations

import asyncpg

from storage.admin_stats import job_run_counts, totals

# name, type, help, attribute of storage.admin_stats.Totals
_SERIES = (
    ("mirt_updates_total", "counter", "Telegram updates stored in the inbox", "updates"),
    ("mirt_turns_total", "counter", "Updates whose turn finished", "turns"),
    ("mirt_turn_latency_seconds_sum", "summary", "Time from an update's arrival to its turn's end", "turn_seconds"),
    ("mirt_turn_latency_seconds_count", "counter", "Turns the latency sum covers", "turns"),
    ("mirt_llm_calls_total", "counter", "LLM calls (traced)", "llm_calls"),
    ("mirt_llm_errors_total", "counter", "LLM calls that failed", "llm_errors"),
    ("mirt_llm_latency_seconds_sum", "summary", "LLM call latency", "llm_seconds"),
    ("mirt_llm_latency_seconds_count", "counter", "LLM calls the latency sum covers", "llm_calls"),
    ("mirt_llm_cost_usd_total", "counter", "LLM cost in US dollars", "llm_cost"),
    ("mirt_escalations_total", "counter", "Chats handed to managers", "escalations"),
    ("mirt_human_chats", "gauge", "Chats handled by managers now", "human_chats"),
    ("mirt_orders_total", "counter", "Orders placed", "orders"),
    ("mirt_crm_outbox_pending", "gauge", "Orders waiting to reach the CRM", "crm_pending"),
    ("mirt_crm_outbox_failed", "gauge", "Orders the CRM refused for good", "crm_failed"),
    ("mirt_managers_queue", "gauge", "Messages waiting to be posted in the managers' chat", "managers_queue"),
)


async def exposition(pool: asyncpg.Pool) -> str:
    figures = await totals(pool)
    lines: list[str] = []
    for name, kind, help_text, attribute in _SERIES:
        family = name.removesuffix("_sum").removesuffix("_count")
        if family == name:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        elif name.endswith("_sum"):  # a summary without quantiles: its _sum and _count share one header
            lines += [f"# HELP {family} {help_text}", f"# TYPE {family} summary"]
        lines.append(f"{name} {getattr(figures, attribute)}")
    lines += ["# HELP mirt_job_runs_total Scheduled job runs by outcome", "# TYPE mirt_job_runs_total counter"]
    lines += [f'mirt_job_runs_total{{job="{r["job"]}",outcome="{r["outcome"]}"}} {r["runs"]}'
              for r in await job_run_counts(pool)]
    return "\n".join(lines) + "\n"
