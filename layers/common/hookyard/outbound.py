"""The one guarded HTTP client for every outbound call (webhook deliveries, webhook tests,
flow actions).

- http and https only;
- the host is resolved here and every resolved address must be allowed
  (`address_allowed`, the one rule: public, or named by the deployment's allow-list);
  the connection then goes to the checked address, so a second DNS answer cannot swap
  in another (DNS rebinding);
- redirects are never followed; connect and read timeouts and a total deadline bound
  the call; the response body is read up to a cap.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import urllib3

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[IpAddress]]

DEFAULT_MAX_BODY_BYTES = 64 * 1024


class OutboundError(Exception):
    """A call that could not be made or completed. `kind` names why, for logs and records."""

    kind = "error"


class InvalidUrl(OutboundError):
    kind = "invalid_url"


class BlockedDestination(OutboundError):
    kind = "blocked"


class OutboundTimeout(OutboundError):
    kind = "timeout"


class ConnectionFailed(OutboundError):
    kind = "connection"


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes
    truncated: bool
    elapsed_ms: int

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def system_resolver(host: str, port: int) -> list[IpAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConnectionFailed(f"cannot resolve {host}: {exc}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def parse_networks(spec: str | Iterable[str]) -> tuple[IpNetwork, ...]:
    """'127.0.0.0/8, ::1' -> networks (an allow-list from configuration)."""
    items = spec.split(",") if isinstance(spec, str) else spec
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


# The address rules are written out rather than taken from ipaddress's `is_global`,
# whose tables differ between Python 3.12 patch releases and 3.13 (64:ff9b:1::/48 was
# global before 3.12.4) and which calls fec0::/10, 3fff::/20 and 64:ff9b::/96 global.

# IANA's IPv4 special-purpose registry, multicast and class E: none of it is a receiver.
_IPV4_BLOCKED = parse_networks(
    [
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, the cloud metadata service (169.254.169.254)
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
    ]
)
# Only 2000::/3 is global unicast: outside it are loopback, unspecified, unique local
# (fd00:ec2::254 is the metadata service), link-local, site-local (fec0::/10),
# multicast, discard, SRv6 and local-use NAT64 (64:ff9b:1::/48, whose layout is the
# operator's). Inside it, these are not receivers either:
_IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_IPV6_BLOCKED = parse_networks(
    [
        "2001::/23",  # IETF protocol assignments: Teredo (2001::/32), benchmarking, ORCHID
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
    ]
)
# IPv6 addresses that carry an IPv4 address the packet ends up at.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known prefix (RFC 6052)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # ::a.b.c.d (deprecated, RFC 4291)
_LOCALHOST = ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: IPv4-mapped (::ffff:a.b.c.d),
    IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) or 6to4 (2002:AABB:CCDD::).
    Teredo is not: its client address is the relay's business, and it is refused."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):  # not :: or ::1
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IpAddress) -> bool:
    """True for an address on the public internet: an IPv4 address outside the special
    ranges, or a global unicast IPv6 address; an IPv6 address carrying an IPv4 address is
    judged by the IPv4 address."""
    if isinstance(address, ipaddress.IPv4Address):
        return not any(address in network for network in _IPV4_BLOCKED)
    embedded = embedded_ipv4(address)
    if embedded is not None:
        return is_public(embedded)
    return address in _IPV6_GLOBAL_UNICAST and not any(address in network for network in _IPV6_BLOCKED)


def address_allowed(address: IpAddress, allow: Iterable[IpNetwork] = ()) -> bool:
    """The one rule for where an outbound call may go: a public address, or one the
    deployment's allow-list (OUTBOUND_ALLOW_CIDRS) names, itself or the IPv4 address
    it carries."""
    embedded = embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    for network in allow:
        if address in network or (embedded is not None and embedded in network):
            return True
    return is_public(address)


def literal_addresses(host: str) -> tuple[IpAddress, ...] | None:
    """What a host stands for without asking DNS: an IP address itself, a localhost
    name (localhost, *.localhost: loopback by RFC 6761) loopback; None for a DNS name."""
    name = host.lower().removesuffix(".").removeprefix("[").removesuffix("]")
    try:
        return (ipaddress.ip_address(name),)
    except ValueError:
        pass
    if name in ("localhost", "localhost.localdomain") or name.endswith(".localhost"):
        return _LOCALHOST
    return None


def _blocked(host: str, address: IpAddress, verb: str) -> BlockedDestination:
    subject = f"{host} {verb} {address}, a" if str(address) != host else f"{host} is a"
    return BlockedDestination(
        f"{subject} private, loopback, link-local or reserved address; outbound calls may only reach public addresses"
    )


@dataclass
class OutboundClient:
    allow: tuple[IpNetwork, ...] = ()
    connect_timeout: float = 5.0
    read_timeout: float = 12.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    resolver: Resolver = system_resolver
    _ssl: ssl.SSLContext = field(default_factory=ssl.create_default_context, repr=False)

    def target(self, url: str) -> Target:
        """Parse and check a URL without calling it (for validating endpoints on save)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise InvalidUrl(f"not a valid URL: {exc}") from exc
        if parts.scheme not in ("http", "https"):
            raise InvalidUrl("only http and https URLs are allowed")
        if not parts.hostname:
            raise InvalidUrl("the URL has no host")
        if parts.username or parts.password:
            raise InvalidUrl("credentials in the URL are not allowed; use authentication settings")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)

    def allowed(self, address: IpAddress) -> bool:
        return address_allowed(address, self.allow)

    def checked_address(self, target: Target) -> IpAddress:
        """The address to connect to; every address the host resolves to must be allowed."""
        addresses = self.resolver(target.host, target.port)
        if not addresses:
            raise ConnectionFailed(f"{target.host} resolves to no address")
        blocked = [a for a in addresses if not self.allowed(a)]
        if blocked:
            raise _blocked(target.host, blocked[0], "resolves to")
        return addresses[0]

    def check_host(self, host: str) -> None:
        """Refuse, without DNS, a host that is an address this client may not reach, or a
        localhost name while no loopback address is allowed (BlockedDestination). A DNS
        name passes: it is checked when it is called, as DNS answers change."""
        addresses = literal_addresses(host)
        if addresses is None or any(self.allowed(a) for a in addresses):
            return
        raise _blocked(host, addresses[0], "is")

    def check(self, url: str) -> Target:
        target = self.target(url)
        self.checked_address(target)
        return target

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        timeout: float | None = None,
    ) -> OutboundResponse:
        """Send one request (no redirects followed) and read at most `max_body_bytes` of
        the answer; inside the hook given to `observe_requests`, if any."""
        if not _request_hooks:
            return self._send(method, url, headers, body, timeout)
        with _request_hooks[0](method, url) as answered:
            response = self._send(method, url, headers, body, timeout)
            answered(response.status)
        return response

    def _send(
        self, method: str, url: str, headers: Mapping[str, str] | None, body: bytes | None, timeout: float | None
    ) -> OutboundResponse:
        target = self.target(url)
        address = self.checked_address(target)
        read_timeout = timeout if timeout is not None else self.read_timeout
        deadline = time.monotonic() + self.connect_timeout + read_timeout
        timeouts = urllib3.Timeout(connect=self.connect_timeout, read=read_timeout)
        pool: urllib3.HTTPConnectionPool
        if target.scheme == "https":
            # Connect to the checked address, but verify the certificate for the host name.
            pool = urllib3.HTTPSConnectionPool(
                str(address),
                target.port,
                timeout=timeouts,
                retries=False,
                maxsize=1,
                server_hostname=target.host,
                assert_hostname=target.host,
                ssl_context=self._ssl,
            )
        else:
            pool = urllib3.HTTPConnectionPool(str(address), target.port, timeout=timeouts, retries=False, maxsize=1)
        default_port = 443 if target.scheme == "https" else 80
        host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
        send_headers = {"Host": host_header, "User-Agent": "Hookyard", **(headers or {})}
        started = time.monotonic()
        try:
            response = pool.urlopen(
                method,
                target.path,
                body=body,
                headers=send_headers,
                redirect=False,
                preload_content=False,
                assert_same_host=False,
            )
            chunks: list[bytes] = []
            size, truncated = 0, False
            while True:
                if time.monotonic() > deadline:
                    raise OutboundTimeout(f"no complete answer within {read_timeout:g} s")
                chunk = response.read(16 * 1024)
                if not chunk:
                    break
                if size + len(chunk) > self.max_body_bytes:
                    chunks.append(chunk[: self.max_body_bytes - size])
                    truncated = True
                    break
                chunks.append(chunk)
                size += len(chunk)
            response.release_conn()
        except urllib3.exceptions.NewConnectionError as exc:
            # Checked first: urllib3 2 makes it a subclass of ConnectTimeoutError.
            raise ConnectionFailed(f"connection to {target.host} failed: {type(exc).__name__}") from exc
        except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError) as exc:
            raise OutboundTimeout(f"no answer within {read_timeout:g} s") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise ConnectionFailed(f"connection to {target.host} failed: {type(exc).__name__}") from exc
        finally:
            pool.close()
        return OutboundResponse(
            status=response.status,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=b"".join(chunks),
            truncated=truncated,
            elapsed_ms=int((time.monotonic() - started) * 1000),
        )


# What wraps each request of this container's clients (hookyard.tracing: an X-Ray
# subsegment): a context manager made of (method, URL) whose value takes the status.
RequestHook = Callable[[str, str], AbstractContextManager[Callable[[int], None]]]
_request_hooks: list[RequestHook] = []


def observe_requests(hook: RequestHook) -> None:
    """Wrap every request from now on in `hook(method, url)`, which is told the status
    of each answer (an exception leaves it through the hook)."""
    _request_hooks[:] = [hook]


@functools.cache
def shared_client(allow_cidrs: str) -> OutboundClient:
    """The container's one client for these allowed CIDRs, made on first use (making one
    builds an SSL context with the CA bundle: about 23 ms of CPU, too much per invocation)."""
    return OutboundClient(allow=parse_networks(allow_cidrs))
