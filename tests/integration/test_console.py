"""The console function: the web console's files, with their types, caching and policy,
fed the events/console files (no AWS: the function reads only its own files)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any

import pytest

from console.assets import ASSETS_DIR, manifest
from tests.integration.conftest import invoke, load_event


def console(event: dict[str, Any]) -> dict[str, Any]:
    from console.handler import lambda_handler

    return invoke(lambda_handler, event)


def file_event(proxy: str) -> dict[str, Any]:
    """events/console/script.json for another file (the path parameter API Gateway sets)."""
    event = load_event("console/script.json")
    event["pathParameters"] = {"proxy": proxy}
    event["path"] = f"/console/{proxy}"
    event["requestContext"]["path"] = f"/prod/console/{proxy}"
    return event


# ------------------------------------------------------------------ the page


def test_the_console_root_with_its_slash_is_the_page() -> None:
    # When
    response = console(load_event("console/page.json"))

    # Then
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>Hookyard console</title>" in response["body"]
    assert response["body"] == (ASSETS_DIR / "index.html").read_text()


def test_the_console_root_without_its_slash_redirects_relatively_to_keep_the_stage() -> None:
    # When: /prod/console in AWS, /console locally
    response = console(load_event("console/redirect.json"))

    # Then: "console/" resolves against either to the page's URL
    assert response["statusCode"] == 301
    assert response["headers"]["Location"] == "console/"
    assert response["body"] == ""


def test_index_html_by_name_is_the_page_too() -> None:
    # When
    response = console(file_event("index.html"))

    # Then
    assert response["statusCode"] == 200
    assert "<title>Hookyard console</title>" in response["body"]


# ------------------------------------------------------------------ files


@pytest.mark.parametrize(
    ("proxy", "content_type"),
    [
        ("js/app.js", "text/javascript; charset=utf-8"),
        ("console.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ],
)
def test_a_file_is_answered_with_the_content_type_of_its_kind(proxy: str, content_type: str) -> None:
    # When
    response = console(file_event(proxy))

    # Then
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == content_type
    assert response["body"] == (ASSETS_DIR / proxy).read_text()
    assert response["isBase64Encoded"] is False


def test_every_answer_carries_a_strict_content_security_policy_and_nosniff() -> None:
    # When
    response = console(load_event("console/script.json"))

    # Then
    headers = response["headers"]
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["form-action"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_a_file_is_cached_briefly_and_carries_an_etag() -> None:
    # When
    response = console(load_event("console/script.json"))

    # Then
    assert response["headers"]["Cache-Control"] == "max-age=60"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response["headers"]["ETag"])


def test_revalidating_with_the_current_etag_answers_304_without_a_body() -> None:
    # Given the ETag the file was served with
    etag = console(file_event("console.css"))["headers"]["ETag"]
    event = load_event("console/revalidate.json")
    event["headers"]["If-None-Match"] = etag

    # When
    response = console(event)

    # Then
    assert response["statusCode"] == 304
    assert response["body"] == ""
    assert response["headers"]["ETag"] == etag


def test_revalidating_with_an_old_etag_answers_the_file() -> None:
    # When: revalidate.json names an ETag no file has
    response = console(load_event("console/revalidate.json"))

    # Then
    assert response["statusCode"] == 200
    assert response["body"] == (ASSETS_DIR / "console.css").read_text()


# ------------------------------------------------------------------ refusals


def test_an_unknown_file_is_a_404() -> None:
    # When
    response = console(load_event("console/not_found.json"))

    # Then
    assert response["statusCode"] == 404
    assert response["headers"]["Content-Type"] == "text/plain; charset=utf-8"
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"
    assert "no-such-file.js" not in response["body"]


@pytest.mark.parametrize(
    "proxy",
    [
        "../handler.py",
        "../assets.py",
        "js/../../handler.py",
        "..%2Fhandler.py",
        "%2e%2e/handler.py",
        "/etc/passwd",
        "../../../../etc/passwd",
        "assets/index.html",
        "js",
        "js/",
        "./index.html",
    ],
)
def test_a_path_outside_the_console_files_is_refused(proxy: str) -> None:
    # When
    response = console(file_event(proxy))

    # Then
    assert response["statusCode"] == 404
    assert "import" not in response["body"]


# ------------------------------------------------------------------ the files themselves


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_the_page_has_no_inline_script_or_style_and_nothing_from_another_origin() -> None:
    # Given
    parser = _Tags()
    parser.feed((ASSETS_DIR / "index.html").read_text())

    # When
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    inline_handlers = [(tag, name) for tag, attrs in parser.tags for name in attrs if name.startswith("on")]
    styled = [tag for tag, attrs in parser.tags if "style" in attrs or tag == "style"]
    urls = [v for _, attrs in parser.tags for k, v in attrs.items() if k in ("src", "href") and v]

    # Then
    assert scripts
    assert all(attrs.get("src") for attrs in scripts)
    assert inline_handlers == []
    assert styled == []
    assert all(not re.match(r"^([a-z]+:)?//", url) for url in urls), urls


def test_no_file_loads_anything_from_another_origin() -> None:
    # When
    remote = [
        (name, found)
        for name, asset in manifest().items()
        for found in re.findall(r"""(?:import|from|url\()\s*["']?((?:[a-z]+:)?//[^"')]+)""", asset.body)
    ]

    # Then
    assert remote == []


def test_every_module_import_names_a_console_file() -> None:
    # Given every relative import of every script
    files = manifest()
    imports = [
        (name, str(PurePosixPath(name).parent / target))
        for name, asset in files.items()
        if name.endswith(".js")
        for target in re.findall(r"""(?:^|\n)\s*(?:import|export)\b[^"';]*?from\s*["']([^"']+)["']""", asset.body)
    ]

    # When
    missing = [(name, target) for name, target in imports if str(PurePosixPath(*_normalised(target))) not in files]

    # Then
    assert imports
    assert missing == []


def _normalised(path: str) -> list[str]:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return parts
