"""The console's static files: which request gets which file, with which headers.

The files are the text assets beside this module (`assets/`: HTML, CSS, JavaScript,
SVG), read once per container into a manifest keyed by their path. A request is answered
from the manifest only, never by opening a path built from the request, so `..`, encoded
or not, can name nothing outside it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
INDEX = "index.html"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Scripts and styles from the console's own files only (no inline script or style, no
# CDN); API calls to the same origin only; no framing, plugins or native form posts
# (every form is handled by script, so a form can never put its fields in a URL).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Short-lived, then revalidated by ETag: a deploy is picked up within a minute, and a
# revalidation costs a 304 with no body. (Hashed, immutable names would need a build step.)
CACHE_CONTROL = "max-age=60"
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str
    etag: str


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: str = ""


@cache
def manifest(root: Path = ASSETS_DIR) -> dict[str, Asset]:
    """Every servable file under `root`, by its POSIX path relative to it."""
    assets = {}
    for path in sorted(root.rglob("*")):
        content_type = CONTENT_TYPES.get(path.suffix)
        if content_type is None or not path.is_file():
            continue
        body = path.read_text(encoding="utf-8")
        digest = hashlib.sha256(body.encode()).hexdigest()[:32]
        assets[path.relative_to(root).as_posix()] = Asset(body, content_type, f'"{digest}"')
    return assets


def _not_modified(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _not_found() -> Reply:
    headers = {**SECURITY_HEADERS, "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    return Reply(404, headers, "Not Found: no such file in the console\n")


def serve(path: str, proxy: str | None, if_none_match: str | None) -> Reply:
    """The answer to GET `path` (the request path below the stage). `proxy` is the
    `{proxy+}` parameter of `/console/{proxy+}`; None for the `/console` resource itself.

    `/console` redirects to `console/` (relative, so it keeps the stage prefix in AWS) so
    that the page's relative URLs resolve under the console; `/console/` (API Gateway
    hands it to the `/console` resource with its slash) and `/console/index.html` are the
    page; any other path is a file of the manifest or a 404."""
    if proxy is None:
        if not path.endswith("/"):
            return Reply(301, {**SECURITY_HEADERS, "Location": "console/", "Cache-Control": CACHE_CONTROL})
        name = INDEX
    else:
        name = proxy or INDEX
    asset = manifest().get(name)
    if asset is None:
        return _not_found()
    headers = {**SECURITY_HEADERS, "Cache-Control": CACHE_CONTROL, "ETag": asset.etag}
    if _not_modified(if_none_match, asset.etag):
        return Reply(304, headers)
    return Reply(200, {**headers, "Content-Type": asset.content_type}, asset.body)
