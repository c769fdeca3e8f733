"""A TCP proxy in front of PostgreSQL that sees what crosses the network: round trips and
the statements sent, whatever the driver, the pool or SQLAlchemy's events say.

A round trip is counted each time the client sends after the server has answered (or
first): pipelined messages, however many, are one. Statements are read from the client's
protocol messages (Query, Parse, and Bind of a statement prepared earlier)."""

from __future__ import annotations

import select
import socket
import struct
import threading
from contextlib import contextmanager

import sqlalchemy as sa


class WireProxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.round_trips = 0
        self.statements: list[str] = []
        self.bursts: list[list[str]] = []  # the statements of each round trip
        # Statements sent as text to parse (not run as prepared ones): the server plans them.
        self.parsed: list[str] = []
        self.counting = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, database_url: str) -> str:
        """`database_url` through this proxy, unencrypted so that statements can be read."""
        url = sa.make_url(database_url).set(host="127.0.0.1", port=self.port)
        url = url.update_query_dict({"sslmode": "disable"})
        return url.render_as_string(hide_password=False)

    @contextmanager
    def count(self):
        """Count round trips and statements inside the block only."""
        with self.lock:
            self.round_trips, self.statements, self.bursts, self.parsed = 0, [], [], []
            self.counting = True
        try:
            yield self
        finally:
            with self.lock:
                self.counting = False

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        parser = _ClientMessages()
        server_spoke = True
        try:
            while True:
                readable, _, _ = select.select([client, server], [], [])
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        return
                    if s is client:
                        statements = parser.feed(data)
                        parsed, parser.parsed = parser.parsed, []
                        with self.lock:
                            if self.counting:
                                self.parsed += parsed
                                if server_spoke:
                                    self.round_trips += 1
                                    self.bursts.append([])
                                self.statements += statements
                                if self.bursts:
                                    self.bursts[-1] += statements
                        server_spoke = False
                        server.sendall(data)
                    else:
                        server_spoke = True
                        client.sendall(data)
        except OSError:
            return
        finally:
            client.close()
            server.close()


class _ClientMessages:
    """Frontend protocol messages, reassembled across reads: the SQL each one sends."""

    def __init__(self) -> None:
        self.buffer = b""
        self.started = False
        self.prepared: dict[bytes, str] = {}
        self.parsed: list[str] = []

    def feed(self, data: bytes) -> list[str]:
        self.buffer += data
        found = []
        while True:
            if not self.started:  # the startup message has a length and no type byte
                if len(self.buffer) < 4:
                    return found
                (length,) = struct.unpack("!I", self.buffer[:4])
                if len(self.buffer) < length:
                    return found
                self.buffer = self.buffer[length:]
                self.started = (
                    length != 8  # an SSLRequest (8 bytes) is followed by the real startup
                )
                continue
            if len(self.buffer) < 5:
                return found
            kind = self.buffer[:1]
            (length,) = struct.unpack("!I", self.buffer[1:5])
            if len(self.buffer) < 1 + length:
                return found
            body, self.buffer = self.buffer[5 : 1 + length], self.buffer[1 + length :]
            if kind == b"Q":
                found.append(body.split(b"\0", 1)[0].decode())
                self.parsed.append(found[-1])
            elif kind == b"P":
                name, rest = body.split(b"\0", 1)
                query = rest.split(b"\0", 1)[0].decode()
                self.parsed.append(query)
                if name:
                    self.prepared[name] = query
                else:
                    found.append(query)
            elif kind == b"B":
                _portal, rest = body.split(b"\0", 1)
                name = rest.split(b"\0", 1)[0]
                if name:
                    found.append(self.prepared.get(name, "?"))
