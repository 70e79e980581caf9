"""aiogram routers and middlewares: updates in, replies out."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiogram import Dispatcher

from handlers.admin import admin_router
from handlers.admin.orders import NewOrderCards
from handlers.buttons import leftover_router
from handlers.business.gate import BusinessGate
from handlers.business.updates import BusinessUpdates, business_router
from handlers.conversation import conversation_router
from handlers.customers import CustomerMiddleware
from handlers.forget import forget_router
from handlers.handoff import HandoffGate
from handlers.inbox import ArrivalStore, InboxMiddleware
from handlers.lanes import ChatLanes


def build_dispatcher(pool: asyncpg.Pool, lanes: ChatLanes, arrivals: ArrivalStore,
                     **services: Any) -> Dispatcher:
    """`services` become handler arguments by name (aiogram's workflow data); `arrivals` must be a middleware of
    the polling bot's session."""
    dispatcher = Dispatcher(**services)
    dispatcher.update.outer_middleware(BusinessUpdates())  # before the inbox: see its doc
    dispatcher.update.outer_middleware(InboxMiddleware(pool, lanes, arrivals))
    customers = CustomerMiddleware(pool)
    for customer_turns in (dispatcher.message, dispatcher.edited_message, dispatcher.callback_query):
        customer_turns.outer_middleware(customers)  # an edit is a turn too: its log lines hide the recorded names
    dispatcher.include_router(admin_router())  # admins' commands; for anyone else they fall through to the assistant
    dispatcher.include_router(business_router())  # connection reports and the account owner typing
    dispatcher.include_router(forget_router())  # before the conversation: /forget is not a question
    conversation = conversation_router()
    for observer in (conversation.message, conversation.edited_message, conversation.callback_query):
        observer.outer_middleware(BusinessGate())  # business chats: rights, BUSINESS_CHATS, the owner typing
        observer.outer_middleware(HandoffGate())  # in human mode the assistant never sees the customer
        observer.outer_middleware(NewOrderCards())
    dispatcher.include_router(conversation)
    dispatcher.include_router(leftover_router())  # last: any press nobody took is answered, nothing more
    return dispatcher
