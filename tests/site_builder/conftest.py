"""Fixtures for site_builder tests: a real S3-compatible server (moto) over HTTP, and a proxy
that can cut the network to it half-way through a publish."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from botocore.config import Config

TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass
class S3Server:
    """A running moto server and a plain client for checking what it holds."""

    endpoint_url: str
    client: object

    def new_bucket(self) -> str:
        name = f"site-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on a free port of 127.0.0.1; tests talk to it over real HTTP."""
    from moto.server import ThreadedMotoServer

    saved = {name: os.environ.get(name) for name in [*TEST_CREDENTIALS, "AWS_PROFILE"]}
    os.environ.update(TEST_CREDENTIALS)
    os.environ.pop("AWS_PROFILE", None)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )
    try:
        yield S3Server(endpoint_url=endpoint, client=client)
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class CuttableProxy:
    """A TCP proxy in front of the S3 server whose network can be cut at any moment.

    ``cut()`` closes the listening socket and every open connection, so requests in
    flight fail and new ones are refused, as when storage goes away. ``drop_first``
    closes that many incoming connections straight away, a transient failure that
    a retrying client gets past.
    """

    def __init__(self, upstream_port: int, *, drop_first: int = 0) -> None:
        self.upstream_port = upstream_port
        self.drop_first = drop_first
        self.dropped = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._cut = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # listener closed by cut()
            with self._lock:
                if self._cut:
                    client.close()
                    return
                if self.dropped < self.drop_first:
                    self.dropped += 1
                    client.close()
                    continue
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, dest: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                dest.sendall(data)
        except OSError:
            pass  # the other side, or cut(), closed the connection
        finally:
            for sock in (source, dest):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            self._listener.close()
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed
                sock.close()


@pytest.fixture
def make_proxy(s3_server: S3Server) -> Iterator[type]:
    """Factory for CuttableProxy instances in front of the session's S3 server."""
    proxies: list[CuttableProxy] = []
    port = int(s3_server.endpoint_url.rsplit(":", 1)[1])

    def make(drop_first: int = 0) -> CuttableProxy:
        proxy = CuttableProxy(port, drop_first=drop_first)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.cut()
