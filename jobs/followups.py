"""The follow-up sweep: a short nudge to a customer who went quiet after the bot spoke, at a decent hour, at most
once per delay in FOLLOWUP_DELAYS, always counted from the customer's last message; and one alert to the managers
when an order stopped half-way stays silent after the last nudge, queued for their group like everything posted
there (so a Telegram error, a moved group or one that refuses the bot delays it but never loses it).

Everything the sweep knows comes from Postgres on each run; each send is claimed durably first (at most once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from aiogram import Bot

from config.settings import Settings, quiet_hours_window
from config.shop import Shop
from jobs.followup_texts import HALF_WAY, nudge_text, template_for
from outbound.replies import send_text
from storage.followups import SilentChat, claim, claim_alert, record_failure, record_outcome, record_sent, silent_chats
from storage.sanitize import clean_text

log = structlog.get_logger(__name__)

# Past this much silence beyond the last delay (bot down for days, say) a nudge is stale: the chat is left alone.
STALE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class FollowupRules:
    delays: tuple[timedelta, ...]  # ascending
    timezone: ZoneInfo
    quiet: tuple[time, time] | None
    alert_managers: bool  # there is a managers' group (ADMIN_CHAT_ID) to tell about stalled orders

    @classmethod
    def from_settings(cls, settings: Settings) -> FollowupRules:
        return cls(
            delays=tuple(sorted(settings.followup_delays)),
            timezone=ZoneInfo(settings.shop_timezone),
            quiet=quiet_hours_window(settings.quiet_hours) if settings.quiet_hours else None,
            alert_managers=settings.admin_chat_id is not None,
        )

    def is_quiet(self, now: datetime) -> bool:
        if self.quiet is None:
            return False
        start, end = self.quiet
        local = now.astimezone(self.timezone).time()
        return start <= local < end if start <= end else local >= start or local < end

    def due_nudge(self, chat: SilentChat, now: datetime) -> int | None:
        """The sequence number of the nudge due now, if it was not claimed yet. When several delays passed at once
        (a night, downtime) only the latest is sent: the customer gets one message, not a burst."""
        passed = sum(1 for delay in self.delays if chat.customer_at + delay <= now)
        return passed if passed > chat.last_nudge else None

    def alert_due(self, chat: SilentChat, now: datetime) -> bool:
        """Silence for another first delay after the last nudge."""
        return (self.alert_managers and not chat.alerted and chat.last_nudge == len(self.delays)
                and chat.last_nudge_at is not None and now >= chat.last_nudge_at + self.delays[0])


@dataclass(frozen=True)
class Followups:
    pool: asyncpg.Pool
    bot: Bot
    shop: Shop
    rules: FollowupRules

    async def sweep(self, now: datetime) -> dict[str, int]:
        counts = dict.fromkeys(("sent", "blocked", "failed", "alerted", "deferred"), 0)
        if not self.rules.delays:
            return counts
        horizon = self.rules.delays[-1] + STALE_AFTER
        quiet = self.rules.is_quiet(now)
        for chat in await silent_chats(self.pool, now, self.rules.delays[0], horizon):
            with structlog.contextvars.bound_contextvars(chat_id=chat.session_id):
                try:
                    outcome = await self._follow_up(chat, now, quiet)
                except Exception as exc:  # one chat's failure stays with that chat: the sweep goes on
                    outcome = await self._failed(chat, None, now, exc)
            if outcome is not None:
                counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    async def _follow_up(self, chat: SilentChat, now: datetime, quiet: bool) -> str | None:
        sequence = self.rules.due_nudge(chat, now)
        alert_due = self.rules.alert_due(chat, now)
        if sequence is None and not alert_due:
            return None  # nothing due: the chat's state is not even read (a broken one fails only when due)
        template = template_for(chat.state)
        if template is None:
            return None
        alert = template in HALF_WAY and alert_due
        if sequence is None and not alert:
            return None
        if quiet:
            return "deferred"
        if sequence is not None:
            return await self._nudge(chat, sequence, template, now)
        return "alerted" if await self._alert(chat, HALF_WAY[template], now) else None

    async def _failed(self, chat: SilentChat, followup_id: int | None, now: datetime, exc: Exception) -> str:
        """Record the failure on the follow-up's row (a row of its own when it failed before its claim), so the
        chat's next nudge is not retried on every sweep; one error line says so. A claimed follow-up is never
        retried: it may have reached the customer before the failure."""
        reason = clean_text(f"{type(exc).__name__}: {exc}")
        log.error("followup_failed", error=reason, exc_info=exc)
        if followup_id is None:
            await record_failure(self.pool, chat, now, reason)
        else:
            await record_outcome(self.pool, followup_id, "failed", reason)
        return "failed"

    async def _nudge(self, chat: SilentChat, sequence: int, template: str, now: datetime) -> str:
        followup_id = await claim(self.pool, chat, "nudge", sequence, template, now)
        if followup_id is None:
            return "claimed_elsewhere"
        with structlog.contextvars.bound_contextvars(followup=sequence):
            try:
                text = nudge_text(self.shop, template, chat.state)
                delivered = await send_text(self.bot, self.pool, int(chat.session_id), text)
            except Exception as exc:  # the chat is gone or unusable, Telegram failed…: this nudge is over
                return await self._failed(chat, followup_id, now, exc)
            if not delivered:
                await record_outcome(self.pool, followup_id, "blocked")
                return "blocked"
            await record_sent(self.pool, followup_id, chat, text, ["followup", f"followup:{template}"], now)
            log.info("followup_sent", template=template)
        return "sent"

    async def _alert(self, chat: SilentChat, template: str, now: datetime) -> bool:
        """Claim and queue the managers' alert (once); False when it was claimed before."""
        text = self.shop.followup(template, customer=chat.customer_name or chat.session_id, chat_id=chat.session_id)
        if not await claim_alert(self.pool, chat, template, text, now):
            return False
        log.info("managers_alerted", chat_id=chat.session_id, template=template)
        return True
