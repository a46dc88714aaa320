"""The guarded outbound client, against a real HTTP server on loopback."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hookyard.outbound import (
    BlockedDestination,
    ConnectionFailed,
    InvalidUrl,
    OutboundClient,
    OutboundTimeout,
    address_allowed,
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
        # The client may have given up waiting (the timeout tests): nothing to answer then.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
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


# Every range an outbound call must not reach (unless allow-listed), one address each.
BLOCKED = [
    # IPv4: private, shared, loopback, link-local (metadata), special-purpose, multicast, reserved
    "10.0.0.1",
    "172.16.0.5",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "127.0.0.1",
    "0.0.0.0",  # noqa: S104 - an address to block, not to bind
    "192.0.0.9",  # IETF protocol assignments (Python's is_global says True)
    "192.0.2.1",
    "192.88.99.1",  # the deprecated 6to4 relay anycast
    "198.18.0.1",
    "198.51.100.1",
    "203.0.113.1",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    # IPv6 without an IPv4 inside
    "::",
    "::1",
    "fd00:ec2::254",  # the IPv6 metadata endpoint (unique local)
    "fe80::1",
    "fec0::1",  # site-local (deprecated; Python's is_global says True)
    "ff02::1",
    "100::1",  # discard-only
    "5f00::1",  # SRv6 SIDs
    "2001:db8::1",
    "3fff::1",  # documentation (RFC 9637; Python's is_global says True)
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo: refused whatever it embeds
    "2001:2::1",  # benchmarking
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64 (its layout is the operator's: refused)
    # IPv6 with a private IPv4 inside: judged by the IPv4 inside
    "::ffff:10.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::a9fe:a9fe",  # IPv4-compatible ::169.254.169.254
    "::10.0.0.1",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
]
PUBLIC = [
    "93.184.215.14",
    "8.8.8.8",
    "2606:4700:4700::1111",
    "2a05:d018::1",
    "::ffff:93.184.215.14",  # IPv4-mapped public
    "64:ff9b::5db8:d70e",  # NAT64 of a public IPv4 (what DNS64 answers in an IPv6-only VPC)
    "2002:5db8:d70e::1",  # 6to4 of a public IPv4
    "::5db8:d70e",  # IPv4-compatible public
]


@pytest.mark.parametrize("address", BLOCKED)
def test_private_metadata_and_reserved_addresses_are_blocked_after_dns(address: str) -> None:
    # Given a name that resolves to the address
    client = OutboundClient(resolver=lambda host, port: [ipaddress.ip_address(address)])

    # Then
    with pytest.raises(BlockedDestination, match="may only reach public addresses"):
        client.check("https://innocent.example/")


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed_also_when_an_ipv6_address_carries_them(address: str) -> None:
    assert address_allowed(ipaddress.ip_address(address)) is True


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[64:ff9b:1::a9fe:a9fe]/",
        "http://[::a9fe:a9fe]/",
        "http://[::10.0.0.1]/",
        "http://[fec0::1]/",
        "http://[::ffff:a9fe:a9fe]/latest/meta-data",
        "http://[2002:a9fe:a9fe::]/",
    ],
)
def test_an_ipv6_literal_that_reaches_a_private_ipv4_is_blocked(url: str) -> None:
    # When the URL is checked with the real resolver (a literal needs no DNS)
    with pytest.raises(BlockedDestination):
        OutboundClient().check(url)


def test_the_allow_list_also_admits_an_allow_listed_ipv4_inside_an_ipv6_address() -> None:
    # Given a deployment that allows loopback
    allow = parse_networks("127.0.0.0/8")

    # Then
    assert address_allowed(ipaddress.ip_address("::ffff:127.0.0.1"), allow) is True
    assert address_allowed(ipaddress.ip_address("127.0.0.2"), allow) is True
    assert address_allowed(ipaddress.ip_address("::1"), allow) is False
    assert address_allowed(ipaddress.ip_address("::ffff:169.254.169.254"), allow) is False


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


@pytest.mark.parametrize(
    "host", ["10.0.0.1", "169.254.169.254", "::1", "fd00:ec2::254", "localhost", "LOCALHOST.", "api.localhost"]
)
def test_a_host_judged_without_dns_is_refused_when_private_or_loopback(host: str) -> None:
    # Given a client whose DNS would answer a public address
    client = OutboundClient(resolver=lambda host, port: [ipaddress.ip_address("93.184.215.14")])

    # Then
    with pytest.raises(BlockedDestination, match="may only reach public addresses"):
        client.check_host(host)


def test_a_host_judged_without_dns_passes_when_loopback_is_allow_listed() -> None:
    # Given the local stack's allow-list
    client = OutboundClient(allow=parse_networks("127.0.0.0/8,::1/128"))

    # Then nothing is raised
    for host in ("127.0.0.1", "::1", "localhost", "93.184.215.14", "2606:4700:4700::1111"):
        client.check_host(host)


def test_a_dns_name_is_not_resolved_when_judged_without_dns() -> None:
    # Given a client whose resolver must not be asked
    def no_dns(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        raise ConnectionFailed(f"asked DNS for {host}")

    client = OutboundClient(resolver=no_dns)

    # Then nothing is raised: such a name is checked when it is called
    client.check_host("api.example.com")


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
