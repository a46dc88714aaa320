"""The HTTP side of `hookyard dev`: a threaded server that hands requests to the Gateway."""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from hookyard_dev.apigw import MAX_PAYLOAD_BYTES, Gateway, HttpRequest

log = logging.getLogger("hookyard.dev")


def make_server(host: str, port: int, gateway: Gateway) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "hookyard-dev"

        def _read_body(self) -> bytes | None:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks: list[bytes] = []
                total = 0
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    total += size
                    if total > MAX_PAYLOAD_BYTES:
                        return None
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_PAYLOAD_BYTES:
                return None
            return self.rfile.read(length) if length else b""

        def _handle(self) -> None:
            body = self._read_body()
            if body is None:
                self._send(413, [("Content-Type", "application/json")], b'{"message":"Request Too Long"}')
                self.close_connection = True
                return
            url = urlsplit(self.path)
            request = HttpRequest(
                method=self.command,
                path=url.path,
                query=url.query,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
            )
            response = gateway.handle(request)
            self._send(response.status, response.headers, response.body)

        def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        def __getattr__(self, name: str) -> object:
            # Any other method (TRACE, CONNECT, FOO): the gateway answers it as API Gateway
            # does, not http.server's 501 page.
            if name.startswith("do_"):
                return self._handle
            raise AttributeError(name)

        def log_message(self, format: str, *args: object) -> None:
            log.info("%s %s", self.address_string(), format % args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
