"""The one guarded HTTP client for every outbound call (webhook deliveries, webhook tests,
flow actions).

- http and https only;
- the host is resolved here and every resolved address must be public (not private,
  loopback, link-local (cloud metadata), shared, multicast, reserved or unspecified)
  unless an allow-list names it; the connection then goes to the checked address, so a
  second DNS answer cannot swap in another (DNS rebinding);
- redirects are never followed; connect and read timeouts and a total deadline bound
  the call; the response body is read up to a cap.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
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


def is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


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
        return is_public(address) or any(address in network for network in self.allow)

    def checked_address(self, target: Target) -> IpAddress:
        """The address to connect to; every address the host resolves to must be allowed."""
        addresses = self.resolver(target.host, target.port)
        if not addresses:
            raise ConnectionFailed(f"{target.host} resolves to no address")
        blocked = [a for a in addresses if not self.allowed(a)]
        if blocked:
            raise BlockedDestination(
                f"{target.host} resolves to {blocked[0]}, a private, loopback, link-local or reserved "
                "address; outbound calls may only reach public addresses"
            )
        return addresses[0]

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
