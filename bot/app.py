"""Assembling the one process: Postgres, the LangGraph checkpointer, the assistant, aiogram, the health endpoint;
and taking it down in order on SIGTERM."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime

import aiogram.methods
import asyncpg
import structlog
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.methods.base import Response, TelegramMethod
from aiogram.utils.token import TokenValidationError
from langgraph.graph.state import CompiledStateGraph
from openai import AsyncOpenAI, DefaultAioHttpClient

from agent.assistant import SalesAssistant
from agent.graph import NotifyManagers, Services, build_graph
from agent.sales import SalesAgent
from agent.tools import SalesTools
from agent.vision import PhotoRecognizer
from bot.health import HealthServer
from bot.polling import POLLING_TIMEOUT, PollingWatch
from catalog.customer_details import load_cities
from catalog.embeddings import openai_embed
from catalog.finder import Catalog
from catalog.morphology import Morphology
from catalog.texts import load_texts
from catalog.vocabulary import load_vocabulary
from config.settings import ConfigError, Settings
from config.shop import Shop, load_shop
from crm.sync import open_sitniks
from handlers import build_dispatcher
from handlers.admin.handoffs import Handoffs
from handlers.business.updates import polled_updates
from handlers.inbox import ArrivalStore, replay_pending, turn_runner
from handlers.lanes import ChatLanes
from jobs.schedule import shop_jobs
from jobs.scheduler import Scheduler, utc_now
from knowledge.file import Knowledge, load_knowledge
from knowledge.search import KnowledgeBase
from llm.client import Llm
from llm.voice import Transcriber
from memory.retrieve import memory_for_prompt
from memory.turns import BackgroundMemory
from outbound.business_accounts import BusinessAccounts
from outbound.desk import ManagersDesk
from outbound.managers_chat import ManagersChat
from outbound.pacing import OutboundPacer
from outbound.texts import load_admin_texts
from outbound.through_connection import ThroughConnection
from storage.checkpoints import LatestCheckpointSaver
from storage.database import open_pool
from storage.migrate import migrated, setup_checkpointer

log = structlog.get_logger(__name__)

MEMORY_DRAIN_SECONDS = 2.0  # at shutdown, how long facts of turns already answered may still be written


async def open_database(settings: Settings,
                        stack: AsyncExitStack) -> tuple[asyncpg.Pool, LatestCheckpointSaver]:
    """Reach Postgres (embedded when DATABASE_URL is unset), apply migrations and LangGraph's setup; the pool
    (closed with `stack`) and LangGraph's checkpointer on it."""
    target = await migrated(settings, stack)
    pool = await open_pool(target, settings.database_pool_size)
    stack.push_async_callback(pool.close)
    saver = LatestCheckpointSaver(pool)
    await setup_checkpointer(saver)
    return pool, saver


def _answer_models() -> tuple[type, ...]:
    """aiogram reads every Bot API answer with `Response[method.__returning__]` (aiogram/client/session/base.py,
    check_response); pydantic caches parametrised models only weakly, so under load the garbage collector drops them
    and each answer rebuilt its model class (1-4 ms of CPU, a tenth of a turn). Built once (about 40 distinct
    return types, ~50 ms) and held for the life of the process."""
    returning = {}
    for name in aiogram.methods.__all__:
        method = getattr(aiogram.methods, name)
        answer = getattr(method, "__returning__", None) if isinstance(method, type) else None
        if answer is not None and not isinstance(answer, property) and issubclass(method, TelegramMethod):
            returning[repr(answer)] = answer
    return tuple(Response[r] for r in returning.values())  # type: ignore[index]


_ANSWER_MODELS = _answer_models()


def make_bot(settings: Settings) -> Bot:
    settings.require("bot_token")
    assert settings.bot_token is not None
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(settings.telegram_api_url) if settings.telegram_api_url else None
    )
    try:
        return Bot(settings.bot_token.get_secret_value(), session=session)
    except TokenValidationError:
        raise ConfigError("BOT_TOKEN: not a Telegram bot token (expected digits:letters)") from None


@dataclass
class BotProcess:
    settings: Settings
    bot: Bot
    dispatcher: Dispatcher
    lanes: ChatLanes
    pool: asyncpg.Pool
    health: HealthServer | None

    async def serve(self, stop: asyncio.Event) -> None:
        """Replay unfinished turns, poll until `stop` is set, then finish in-flight turns within the grace."""
        await introduce(self.bot)
        await replay_pending(self.dispatcher, self.bot, self.pool)
        # What start-up built (modules, the catalog, the dictionaries: ~420,000 objects) lives as long as the process:
        # out of the collector's way (gc.freeze), each full collection under load took ~170 ms of CPU for nothing.
        # A turn allocates thousands of short-lived containers that reference counting frees: collecting the young
        # generation every 700 allocations (the default) cost 0.3 ms of a turn's CPU, every 10,000 costs 0.07 ms.
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 10, 10)
        polling = asyncio.create_task(self.dispatcher.start_polling(
            self.bot, polling_timeout=POLLING_TIMEOUT, handle_as_tasks=False, handle_signals=False,
            close_bot_session=False, allowed_updates=polled_updates(self.dispatcher),
        ), name="polling")
        stopping = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if polling in done:
            stopping.cancel()
            polling.result()  # polling only ends by itself on an error: let it surface
            return
        log.info("shutdown_started")
        await self.dispatcher.stop_polling()
        await polling
        cut = await self.lanes.drain(self.settings.shutdown_grace.total_seconds())
        log.info("shutdown_turns_drained", unfinished_chats=cut)


def make_assistant(settings: Settings, shop: Shop, knowledge: Knowledge, pool: asyncpg.Pool,
                   saver: LatestCheckpointSaver, client: AsyncOpenAI, notify_managers: NotifyManagers,
                   stack: AsyncExitStack) -> tuple[SalesAssistant, CompiledStateGraph, KnowledgeBase]:
    """The assistant, its dialog graph (the handoff writes the human part of a chat into it) and the shop's
    knowledge as the assistant searches it (/questions groups questions with the same words)."""
    llm = Llm(client, pool, settings.llm_model, shop.llm_prices)
    embed = openai_embed(client, settings.embedding_model)
    morph = Morphology()
    catalog = Catalog(pool, load_vocabulary(morph), embed, settings.embedding_model)
    knowledge_base = KnowledgeBase(knowledge, morph, embed)
    tools = SalesTools(pool, catalog, load_texts(), load_cities(), knowledge_base)

    async def remembered(user_id: str, query: str) -> str:
        return await memory_for_prompt(pool, user_id, query, embed)

    memory = BackgroundMemory(pool, embed)
    stack.push_async_callback(memory.drain, MEMORY_DRAIN_SECONDS)
    agent = SalesAgent(llm, tools, shop)
    services = Services(agent, shop, notify_managers, remembered, settings.llm_turns_per_hour,
                        PhotoRecognizer(llm, pool, settings.vision_model, agent.check))
    graph = build_graph(services, saver)
    return SalesAssistant(graph, pool, shop, notify_managers, memory), graph, knowledge_base


async def assemble(settings: Settings, stack: AsyncExitStack, clock: Callable[[], datetime] = utc_now) -> BotProcess:
    """Everything `python -m bot run` needs, registered on `stack` for orderly closing. `clock` is the time the
    scheduled jobs run at (tz-aware; tests move it to chosen moments)."""
    settings.require("bot_token", "openai_api_key")
    shop = load_shop(settings.shop_file)
    knowledge = load_knowledge(settings.knowledge_file)
    bot = make_bot(settings)
    stack.push_async_callback(bot.session.close)
    pool, saver = await open_database(settings, stack)

    assert settings.openai_api_key is not None
    client = AsyncOpenAI(
        api_key=settings.openai_api_key.get_secret_value(), base_url=settings.openai_base_url,
        timeout=settings.llm_timeout.total_seconds(), max_retries=2,
        # aiohttp (already here for aiogram) as the SDK's transport: about half the CPU per call (1.4 → 0.8 ms).
        http_client=DefaultAioHttpClient(),
    )
    stack.push_async_callback(client.close)
    admin_texts = load_admin_texts()
    desk = ManagersDesk(pool, ManagersChat(pool, settings.admin_chat_id, settings.admin_ids, admin_texts),
                        settings.managers_chat_retry.total_seconds())
    handoff = Handoffs(pool, desk, admin_texts)
    business = BusinessAccounts(pool, desk, admin_texts)
    await business.load()
    assistant, dialog, knowledge_base = make_assistant(settings, shop, knowledge, pool, saver, client,
                                                       handoff.escalated, stack)

    lanes = ChatLanes(settings.burst_window.total_seconds(), settings.max_concurrent_turns, turn_runner(pool),
                      retry_delay=settings.llm_retry_delay.total_seconds())
    transcriber = Transcriber(Llm(client, pool, settings.llm_model, shop.llm_prices), settings.transcription_model)
    arrivals = ArrivalStore(pool)
    dispatcher = build_dispatcher(pool, lanes, arrivals, assistant=assistant, db=pool, shop=shop, settings=settings,
                                  transcriber=transcriber,
                                  checkpointer=saver, desk=desk, handoff=handoff, admin_texts=admin_texts,
                                  dialog=dialog, order_texts=load_texts(), business=business,
                                  knowledge=knowledge_base)

    watch = PollingWatch(after_conflict=business.load)  # links the other process made while both polled
    bot.session.middleware(watch)
    bot.session.middleware(arrivals)
    bot.session.middleware(ThroughConnection(business))
    bot.session.middleware(OutboundPacer(settings.outbound_chat_interval.total_seconds(),
                                         settings.outbound_group_interval.total_seconds(),
                                         settings.outbound_per_second))
    health = None
    if settings.health_port is not None:
        health = HealthServer(pool, watch.alive, watch.problem, lambda: desk.chat.health)
        await health.start(settings.health_port)
        stack.push_async_callback(health.stop)
    jobs_llm = Llm(client, pool, settings.llm_model, shop.llm_prices)
    crm = open_sitniks(settings, stack)
    scheduler = Scheduler(pool, shop_jobs(settings, pool, bot, shop, saver, jobs_llm, crm), clock)
    scheduler.start()
    stack.push_async_callback(scheduler.stop, settings.shutdown_grace.total_seconds())
    return BotProcess(settings, bot, dispatcher, lanes, pool, health)


async def introduce(bot: Bot) -> None:
    """Ask Telegram who we are: a refused token is a configuration error; a network error is waited out."""
    delay = 1.0
    while True:
        try:
            me = await bot.get_me()
        except TelegramUnauthorizedError:
            raise ConfigError("BOT_TOKEN: Telegram refused the token") from None
        except TelegramNetworkError as exc:
            log.error("telegram_unreachable", error=str(exc), retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
            continue
        log.info("telegram_connected", bot_username=me.username)
        return
