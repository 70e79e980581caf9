"""The managers' Ukrainian texts from `texts.uk.yaml`, loaded strictly: every text the code names is a member of
`Text`, and a missing or empty one stops the process at start instead of falling back."""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from config.templates import Templates, read_templates


class Text(StrEnum):
    COMMAND_STATUS = "command_status"
    COMMAND_STATS = "command_stats"
    COMMAND_ORDERS = "command_orders"
    COMMAND_ESCALATE = "command_escalate"
    COMMAND_RELEASE = "command_release"
    COMMAND_QUESTIONS = "command_questions"
    TAKE_BUTTON = "take_button"
    REASON_ASKED = "reason_asked"
    REASON_PAYMENT = "reason_payment"
    REASON_LLM_DOWN = "reason_llm_down"
    REASON_MANAGER = "reason_manager"
    CARD_REASON = "card_reason"
    CARD_CUSTOMER = "card_customer"
    CARD_CHILD = "card_child"
    CARD_CART = "card_cart"
    CARD_CART_LINE = "card_cart_line"
    CARD_ORDER = "card_order"
    CARD_LAST = "card_last"
    CARD_SAID_CUSTOMER = "card_said_customer"
    CARD_SAID_BOT = "card_said_bot"
    CARD_NOTHING = "card_nothing"
    TAKEN = "taken"
    ALREADY_TAKEN = "already_taken"
    ALREADY_TAKEN_BY_BOT = "already_taken_by_bot"
    TAKEN_SHORT = "taken_short"
    RELEASED = "released"
    NOT_IN_HUMAN_MODE = "not_in_human_mode"
    UNKNOWN_CUSTOMER = "unknown_customer"
    WHICH_CUSTOMER = "which_customer"
    REPLY_NOT_SENT = "reply_not_sent"
    REALERT = "realert"
    HUMAN_NOTE = "human_note"
    MANAGER_SAID = "manager_said"
    RELEASE_NOTE = "release_note"
    ORDER_CARD = "order_card"
    ORDER_ITEM = "order_item"
    ORDER_COLOR = "order_color"
    PAYMENT_FULL = "payment_full"
    PAYMENT_PREPAYMENT = "payment_prepayment"
    PAYMENT_UNKNOWN = "payment_unknown"
    PAID_BUTTON = "paid_button"
    CANCEL_BUTTON = "cancel_button"
    ORDER_PAID = "order_paid"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_ALREADY = "order_already"
    ORDER_REFUSED = "order_refused"
    UPDATE_QUARANTINED = "update_quarantined"
    BUTTON_INVALID = "button_invalid"
    STATUS_NEW = "status_new"
    STATUS_PAID = "status_paid"
    STATUS_SHIPPED = "status_shipped"
    STATUS_CANCELLED = "status_cancelled"
    ORDERS_HEADER = "orders_header"
    ORDERS_LINE = "orders_line"
    ORDERS_NONE = "orders_none"
    QUESTIONS_HEADER = "questions_header"
    QUESTIONS_LINE = "questions_line"
    QUESTIONS_NONE = "questions_none"
    STATUS = "status"
    MANAGERS_CHAT_OK = "managers_chat_ok"
    MANAGERS_CHAT_DOWN = "managers_chat_down"
    MANAGERS_CHAT_NONE = "managers_chat_none"
    MANAGERS_CHAT_UNREACHABLE = "managers_chat_unreachable"
    CUSTOMER_EDITED = "customer_edited"
    POSTGRES_OK = "postgres_ok"
    POSTGRES_DOWN = "postgres_down"
    LLM_OK = "llm_ok"
    LLM_FAILING = "llm_failing"
    LLM_UNUSED = "llm_unused"
    JOB_LINE = "job_line"
    JOB_NONE = "job_none"
    OUTCOME_OK = "outcome_ok"
    OUTCOME_FAILED = "outcome_failed"
    OUTCOME_RUNNING = "outcome_running"
    OUTCOME_ABANDONED = "outcome_abandoned"
    UPTIME = "uptime"
    STATS_CAPTION = "stats_caption"
    STATS_TITLE = "stats_title"
    STATS_CONVERSATIONS = "stats_conversations"
    STATS_ORDERS = "stats_orders"
    STATS_REVENUE = "stats_revenue"
    STATS_COST = "stats_cost"
    STATS_BAD_DAYS = "stats_bad_days"
    CUSTOMER_BLOCKED = "customer_blocked"
    REASON_OWNER = "reason_owner"
    REPLY_TEXT_ONLY = "reply_text_only"
    BUSINESS_UNUSABLE = "business_unusable"
    BUSINESS_RESUMED = "business_resumed"


class AdminTexts(Templates[Text]):
    def __call__(self, name: Text, /, **values: Any) -> str:
        return self.render(name, **values)


def load_admin_texts(path: Path | None = None) -> AdminTexts:
    return AdminTexts(read_templates(path, resources.files("outbound") / "texts.uk.yaml", Text))
