"""The guarded outbound client, against a real HTTP server on loopback."""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hookyard.outbound import (
    BlockedDestination,
    InvalidUrl,
    OutboundClient,
    OutboundTimeout,
    parse_networks,
)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://example.com/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep(1.5)
        answer = json.dumps({"host": self.headers["Host"], "got": body.decode(), "pad": "x" * 5000}).encode()
        self.send_response(201)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


LOOPBACK = parse_networks("127.0.0.0/8")


def test_loopback_is_blocked_unless_allow_listed(receiver: str) -> None:
    with pytest.raises(BlockedDestination, match=r"127\.0\.0\.1"):
        OutboundClient().request("POST", receiver + "/")


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.0.5",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address to block, not to bind
        "::1",
        "fd00:ec2::254",
        "::ffff:10.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_metadata_and_reserved_addresses_are_blocked_after_dns(address: str) -> None:
    client = OutboundClient(resolver=lambda host, port: [ipaddress.ip_address(address)])

    with pytest.raises(BlockedDestination):
        client.check("https://innocent.example/")


def test_a_name_resolving_to_one_public_and_one_private_address_is_blocked() -> None:
    client = OutboundClient(
        resolver=lambda host, port: [ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.1.2.3")]
    )

    with pytest.raises(BlockedDestination):
        client.check("https://rebind.example/")


def test_a_public_address_passes_the_check() -> None:
    client = OutboundClient(resolver=lambda host, port: [ipaddress.ip_address("93.184.215.14")])

    target = client.check("https://example.com:8443/hook?x=1")

    assert (target.scheme, target.host, target.port, target.path) == ("https", "example.com", 8443, "/hook?x=1")


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "https://user:pw@example.com/", "http://"])
def test_only_plain_http_and_https_urls_are_allowed(url: str) -> None:
    with pytest.raises(InvalidUrl):
        OutboundClient().target(url)


def test_an_allow_listed_call_sends_the_body_and_reads_the_answer(receiver: str) -> None:
    client = OutboundClient(allow=LOOPBACK)

    response = client.request("POST", receiver + "/", headers={"Content-Type": "text/plain"}, body=b"hello")

    assert response.status == 201
    assert json.loads(response.body)["got"] == "hello"
    assert not response.truncated


def test_the_host_header_names_the_host_not_the_address(receiver: str) -> None:
    client = OutboundClient(allow=LOOPBACK)

    response = client.request("POST", receiver.replace("127.0.0.1", "localhost") + "/", body=b"")

    assert json.loads(response.body)["host"].startswith("localhost:")


def test_response_bodies_are_read_up_to_the_cap(receiver: str) -> None:
    client = OutboundClient(allow=LOOPBACK, max_body_bytes=100)

    response = client.request("POST", receiver + "/", body=b"x")

    assert len(response.body) == 100
    assert response.truncated


def test_redirects_are_not_followed(receiver: str) -> None:
    response = OutboundClient(allow=LOOPBACK).request("POST", receiver + "/redirect", body=b"")

    assert response.status == 302
    assert response.headers["location"] == "http://example.com/"


def test_a_slow_answer_times_out(receiver: str) -> None:
    client = OutboundClient(allow=LOOPBACK, read_timeout=0.3)

    with pytest.raises(OutboundTimeout):
        client.request("POST", receiver + "/slow", body=b"")
