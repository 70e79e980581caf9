"""What the shop's CRM calls things and how patient the sync is: chat status titles, managers, the order status
titles mapped to ours, and the retry backoff — all from settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from config.settings import Settings
from models.orders import OrderStatus

# crm_orders statuses in the order an order goes through them; a poll never moves an order back.
PROGRESS = {"created": 0, "processing": 1, "shipped": 2, "delivered": 3, "cancelled": 3}
FINAL = frozenset({"delivered", "cancelled"})
# What a CRM status means for our orders.status, and from which of our statuses it may move it.
ORDER_EFFECT: dict[str, tuple[OrderStatus, tuple[OrderStatus, ...]]] = {
    "processing": (OrderStatus.PAID, (OrderStatus.NEW,)),
    "shipped": (OrderStatus.SHIPPED, (OrderStatus.NEW, OrderStatus.PAID)),
    "delivered": (OrderStatus.SHIPPED, (OrderStatus.NEW, OrderStatus.PAID)),
    "cancelled": (OrderStatus.CANCELLED, (OrderStatus.NEW, OrderStatus.PAID)),
}


@dataclass(frozen=True)
class CrmRules:
    chat_titles: dict[str, str]  # taken / invoiced / attention → the CRM's chat status title
    managers: dict[str, str | None]  # taken / attention → the CRM manager's full name
    order_statuses: dict[str, str]  # a CRM order status title (casefolded) → ours
    retry_base: timedelta
    retry_max: timedelta
    poll_interval: timedelta
    chat_lookback: timedelta
    chat_search_lookback: timedelta  # how far back a CRM chat is looked for: a returning customer's is old
    assign_managers: bool  # Sitniks offers no known way to assign a chat's manager: opt-in

    @classmethod
    def from_settings(cls, settings: Settings) -> CrmRules:
        titles = {
            "processing": settings.sitniks_paid_statuses, "shipped": settings.sitniks_shipped_statuses,
            "delivered": settings.sitniks_delivered_statuses, "cancelled": settings.sitniks_cancelled_statuses,
        }
        return cls(
            chat_titles={"taken": settings.sitniks_status_taken, "invoiced": settings.sitniks_status_invoiced,
                         "attention": settings.sitniks_status_attention},
            managers={"taken": settings.sitniks_ai_manager, "attention": settings.sitniks_human_manager},
            order_statuses={title.casefold(): ours for ours, names in titles.items() for title in names},
            retry_base=settings.crm_retry_base, retry_max=settings.crm_retry_max,
            poll_interval=settings.crm_status_poll_interval, chat_lookback=settings.crm_chat_lookback,
            chat_search_lookback=settings.crm_chat_search_lookback, assign_managers=settings.sitniks_assign_managers,
        )

    def backoff(self, attempt: int) -> timedelta:
        """The delay after the `attempt`-th try failed: base, 2×base, 4×base, … up to the maximum."""
        return min(self.retry_base * 2 ** max(attempt - 1, 0), self.retry_max)

    @staticmethod
    def advance(current: str, wanted: str | None) -> str:
        """Our crm_orders status once the CRM's says `wanted`: unmapped statuses and moves backwards leave
        `current`."""
        if wanted is None or current in FINAL or PROGRESS[wanted] <= PROGRESS[current]:
            return current
        return wanted
