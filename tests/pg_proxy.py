"""A TCP relay in front of the test Postgres that reads what clients send in the frontend/backend protocol
(https://www.postgresql.org/docs/current/protocol-message-formats.html) and records the name of every statement
they ask the server to prepare (Parse messages). A named statement lives in one server connection: behind a
transaction pooler (PgBouncer, Supavisor) the next transaction may run on another one and fail with
"prepared statement ... does not exist"; unnamed statements ("") are safe there."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_NOT_STARTUP = {80877102, 80877103, 80877104}  # CancelRequest, SSLRequest, GSSENCRequest: no type byte either


class PostgresRelay:
    def __init__(self, url: str) -> None:
        """`url`: the database the relay forwards to (TCP host:port, or a unix socket directory in ?host=)."""
        self._target = urlsplit(url)
        self.prepared: list[str] = []  # names of the statements clients prepared, "" for unnamed ones
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        """Start listening; returns the URL that reaches the same database through the relay."""
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        query = [(k, v) for k, v in parse_qsl(self._target.query) if k not in {"host", "port", "sslmode"}]
        auth = self._target.netloc.rsplit("@", 1)[0] + "@" if "@" in self._target.netloc else ""
        return urlunsplit(self._target._replace(netloc=f"{auth}127.0.0.1:{port}",
                                                query=urlencode([*query, ("sslmode", "disable")])))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _open_target(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        host = dict(parse_qsl(self._target.query)).get("host") or self._target.hostname or "localhost"
        port = self._target.port or int(dict(parse_qsl(self._target.query)).get("port") or 5432)
        if host.startswith("/"):
            return await asyncio.open_unix_connection(str(Path(host) / f".s.PGSQL.{port}"))
        return await asyncio.open_connection(host, port)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await self._open_target()
        await asyncio.gather(self._read_client(reader, server_writer), _pipe(server_reader, writer),
                             return_exceptions=True)
        for w in (writer, server_writer):
            w.close()

    async def _read_client(self, reader: asyncio.StreamReader, to_server: asyncio.StreamWriter) -> None:
        started = False
        while True:
            if not started:
                head = await reader.readexactly(4)
                body = await reader.readexactly(struct.unpack("!i", head)[0] - 4)
                started = struct.unpack("!i", body[:4])[0] not in _NOT_STARTUP
                message = head + body
            else:
                head = await reader.readexactly(5)
                body = await reader.readexactly(struct.unpack("!i", head[1:])[0] - 4)
                if head[:1] == b"P":
                    self.prepared.append(body.split(b"\0", 1)[0].decode())
                message = head + body
            to_server.write(message)
            await to_server.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()
