"""The connector base class's HTTP, against a real socket server on loopback."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from integrations.connectors.base import ConnectionConfig, Connector
from integrations.connectors.errors import TransientError

BODY = b'{"ok": true}'
OK = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
      b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


class ResettingServer:
    """Resets the first ``resets`` connections as soon as a request arrives (a keep-alive
    connection the server closed while it was being reused), then answers 200."""

    def __init__(self, resets: int) -> None:
        self.resets = resets
        self.requests: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.requests.append(conn.recv(65536).split(b"\r\n", 1)[0])
                if self.resets > 0:
                    self.resets -= 1
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    continue  # closing with linger 0 sends a reset
                conn.sendall(OK)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server() -> Iterator[ResettingServer]:
    running = ResettingServer(resets=1)
    yield running
    running.close()


def _connector(url: str) -> Connector:
    return Connector(ConnectionConfig(base_url=url))


def test_a_read_reset_on_a_stale_connection_is_sent_once_more(server):
    response = _connector(server.url).request("GET", "/things", authenticate=False)

    assert response.json() == {"ok": True}
    assert len(server.requests) == 2


def test_a_write_reset_is_not_sent_again_and_is_a_transient_error(server):
    with pytest.raises(TransientError, match="closed the connection"):
        _connector(server.url).request("POST", "/things", json={}, authenticate=False)

    assert [line.split()[0] for line in server.requests] == [b"POST"]


def test_a_read_reset_twice_is_a_transient_error():
    server = ResettingServer(resets=2)
    try:
        with pytest.raises(TransientError, match="closed the connection"):
            _connector(server.url).request("GET", "/things", authenticate=False)
    finally:
        server.close()
    assert len(server.requests) == 2
