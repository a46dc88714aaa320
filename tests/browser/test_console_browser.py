"""The web console in a browser, against `hookyard dev`: what an admin signs in with,
sees and does. Senders (a receiver that fails, a system posting to an inbound webhook)
are played over HTTP, as they would be."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.conftest import Console, api_json, eventually
from tests.conftest import ROOT
from tests.e2e.receiver import Answer, Receiver

pytestmark = pytest.mark.browser
TOKEN_KEY = "hookyard.console.token"


def field_error(page: Page, label: str) -> str:
    """The error message shown next to the field labelled `label`."""
    control = page.get_by_label(label, exact=True)
    described = (control.get_attribute("aria-describedby") or "").split()
    return " ".join(page.locator(f"#{i}").inner_text() for i in described if i.endswith("-error")).strip()


def create_inbound_webhook(console: Console, integration: str, source: str, event_type: str) -> dict[str, str]:
    """Through the Inbound webhooks page; answers what it shows once (URL, username, password)."""
    page = console.page
    console.go("Inbound webhooks")
    page.get_by_label("Integration", exact=True).fill(integration)
    page.get_by_role("button", name="Show").click()
    page.get_by_label("Source system").fill(source)
    page.get_by_label("Event type").fill(event_type)
    page.get_by_role("button", name="Create inbound webhook").click()
    shown = page.locator(".alert-ok")
    expect(shown).to_contain_text("shown only once")
    values = shown.locator("dd code").all_inner_texts()
    return {"url": values[0], "username": values[1], "password": values[2]}


def send(inbound: dict[str, str], body: Any) -> None:
    response = requests.post(inbound["url"], auth=(inbound["username"], inbound["password"]), json=body, timeout=30)
    assert response.status_code == 200, response.text


def create_webhook_in_console(console: Console, name: str, endpoint: str, subscription: str) -> str:
    page = console.page
    console.go("Webhooks")
    page.get_by_role("link", name="Create webhook").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Endpoint URL").fill(endpoint)
    page.get_by_label("Subscriptions").fill(subscription)
    page.get_by_role("button", name="Create webhook").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    return page.url.rsplit("/", 1)[1]


def tutorial_bundle(integration: str, url: str) -> str:
    text = (ROOT / "tests/fixtures/tutorial_bundle.json").read_text().replace("<YOUR_INTEGRATION>", integration)
    bundle = json.loads(text)
    bundle["resources"]["post-to-webhook-site"]["properties"]["definition"]["url"] = url
    return json.dumps(bundle)


# ------------------------------------------------------------------ signing in


def test_hookyard_dev_says_where_the_console_is(console: Console) -> None:
    # When: the stack has started (the console fixture's `hookyard dev`)
    said = "".join(console.dev.output)

    # Then it names the console's URL, which serves the sign-in page
    assert f"web console: {console.dev.url}/console/" in said
    console.open()
    expect(console.page).to_have_title("Sign in · Hookyard console")


def test_a_wrong_token_shows_a_clear_error_and_keeps_nothing(console: Console) -> None:
    # Given the sign-in form
    console.expect_console(r"status of 401")  # the browser logs the refused request
    console.open()
    page = console.page
    console.screenshot("sign-in")

    # When a token the API does not know is entered
    page.get_by_label("API token").fill("hy_not_a_token")
    page.get_by_role("button", name="Sign in").click()

    # Then the form says so, and nothing is kept or shown beyond the form
    expect(page.get_by_role("alert")).to_contain_text("That API token was not accepted")
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    console.screenshot("sign-in-wrong-token")


def test_the_token_is_kept_in_session_storage_sent_as_a_bearer_token_and_cleared_by_sign_out(
    console: Console,
) -> None:
    # Given the requests the page makes
    page = console.page
    sent: list[tuple[str, str | None]] = []
    page.on("request", lambda r: sent.append((r.url, r.headers.get("authorization"))))

    # When the user signs in
    console.sign_in()

    # Then the token is in sessionStorage only: not in a cookie, not in the URL
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") == console.dev.token
    assert page.context.cookies() == []
    assert console.dev.token not in page.url
    # and every API call carried it as a bearer token (the page's own files did not)
    api_calls = [(url, auth) for url, auth in sent if "/api/" in url]
    assert api_calls
    assert {auth for _, auth in api_calls} == {f"Bearer {console.dev.token}"}
    assert all(console.dev.token not in url for url, _ in sent)
    assert all(auth is None for url, auth in sent if "/console/" in url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")

    # When the user signs out
    page.get_by_role("button", name="Sign out").click()

    # Then the token is gone and the sign-in form is back
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None
    expect(page.get_by_role("status").first).to_contain_text("Signed out")


def test_the_console_works_under_a_stage_prefix_as_in_aws(console: Console) -> None:
    # Given the stack behind a stage prefix, as API Gateway serves it (/prod/...): the
    # browser's requests under /prod/ are answered by the stack without it
    page = console.page
    asked: list[str] = []

    def staged(route: Any) -> None:
        asked.append(route.request.url)
        answer = route.fetch(url=route.request.url.replace("/prod/", "/", 1), max_redirects=0)
        route.fulfill(response=answer)

    page.route("**/prod/**", staged)

    # When the console is opened at /prod/console/ and signed in
    page.goto(console.dev.url + "/prod/console/")
    page.get_by_label("API token").fill(console.dev.token)
    page.get_by_role("button", name="Sign in").click()

    # Then the webhooks are listed, and the console's files and API calls stayed under the prefix
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    expect(page.locator("main table, main .empty").first).to_be_visible()
    page.unroute_all(behavior="wait")
    paths = [url.removeprefix(console.dev.url) for url in asked]
    assert "/prod/console/js/app.js" in paths
    assert any(path.startswith("/prod/api/v2/webhooks") for path in paths)


def test_the_console_is_usable_from_the_keyboard(console: Console) -> None:
    # Given the sign-in page, whose token field has the focus
    console.open()
    page = console.page
    expect(page.get_by_label("API token")).to_be_focused()

    # When the token is typed and Enter pressed
    page.keyboard.type(console.dev.token)
    page.keyboard.press("Enter")

    # Then the console opens on the webhooks page
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")

    # When the Integrations link is reached with Shift+Tab (back from the heading, which
    # has the focus) and followed with Enter
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Integrations")
    for _ in range(10):
        page.keyboard.press("Shift+Tab")
        if link.evaluate("element => element === document.activeElement"):
            break
    expect(link).to_be_focused()
    page.keyboard.press("Enter")

    # Then the new view's heading has the focus, and the link says where the user is
    expect(page.get_by_role("heading", level=1)).to_have_text("Integrations")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    expect(link).to_have_attribute("aria-current", "page")


# ------------------------------------------------------------------ webhooks


def test_a_failed_invocation_of_a_webhook_created_in_the_console_shows_its_status_code(
    console: Console, receiver: Receiver
) -> None:
    # Given a receiver that fails, a webhook created in the console that sends to it, and
    # an inbound webhook (created in the console) whose events it subscribes to; and other
    # webhooks of the account
    receiver.answer("/down", then=Answer(500, body={"error": "the receiver is down"}))
    for name, status, subscription in (
        ("CRM contact sync", "active", "crm:event-type:contact.Created"),
        ("Nightly export", "inactive", "conditional_ticket_events"),
    ):
        api_json(
            console.dev,
            "POST",
            "/api/v2/webhooks",
            json={
                "webhook": {
                    "name": name,
                    "endpoint": receiver.url + "/elsewhere",
                    "http_method": "POST",
                    "request_format": "json",
                    "status": status,
                    "subscriptions": [subscription],
                }
            },
        )
    console.sign_in()
    page = console.page
    inbound = create_inbound_webhook(console, "browser_shop", "shop", "order.Failed")
    webhook_id = create_webhook_in_console(
        console, "Orders to the warehouse", receiver.url + "/down", "shop:event-type:order.Failed"
    )

    # When an event arrives and its delivery fails
    send(inbound, {"order": {"id": 42}})
    receiver.wait_for(1, "/down")
    eventually(
        lambda: api_json(console.dev, "GET", f"/api/v2/webhooks/{webhook_id}/invocations")["invocations"],
        lambda found: any(i["status"] == "failed" for i in found),
    )

    # Then the webhooks page lists the webhook
    console.go("Webhooks")
    row = page.get_by_role("row").filter(has_text="Orders to the warehouse")
    expect(row).to_contain_text("active")
    expect(row).to_contain_text("shop:event-type:order.Failed")
    expect(page.get_by_role("row").filter(has_text="Nightly export")).to_contain_text("Triggers")
    console.screenshot("webhooks")
    # and its page lists the failed invocation with its status code
    row.get_by_role("link", name="Orders to the warehouse").click()
    invocation = page.get_by_role("row").filter(has_text="shop:event-type:order.Failed")
    expect(invocation).to_contain_text("failed")
    expect(invocation).to_contain_text("500")
    console.screenshot("webhook")

    # When the invocation is opened
    invocation.get_by_role("link").click()

    # Then its attempt shows the status code, and the request and response
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invocation")
    attempt = page.get_by_role("region", name="Attempt 1")
    expect(attempt).to_contain_text("server error")
    expect(attempt.locator("dd").nth(1)).to_have_text("500")
    expect(attempt).to_contain_text("the receiver is down")
    expect(page.get_by_role("button", name="Redeliver")).to_be_enabled()
    console.screenshot("invocation")

    # When the receiver recovers and the invocation is redelivered
    receiver.answer("/down", then=Answer(200))
    page.get_by_role("button", name="Redeliver").click()

    # Then the same payload arrives again, as a new invocation that succeeds
    expect(page.get_by_role("status").filter(has_text="Redelivery")).to_contain_text("Redelivery queued as invocation")
    first, again = receiver.wait_for(2, "/down")
    assert again.body == first.body
    assert again.headers["x-zendesk-webhook-invocation-id"] != first.headers["x-zendesk-webhook-invocation-id"]
    found = eventually(
        lambda: api_json(console.dev, "GET", f"/api/v2/webhooks/{webhook_id}/invocations")["invocations"],
        lambda found: any(i["status"] == "success" and i["trigger"] == "manual" for i in found),
    )
    assert sorted((i["trigger"], i["status"]) for i in found) == [("event", "failed"), ("manual", "success")]


def test_the_apis_validation_errors_are_shown_next_to_their_fields(console: Console) -> None:
    # Given the create webhook form
    console.expect_console(r"status of 400")
    console.sign_in()
    page = console.page
    page.get_by_role("link", name="Create webhook").click()

    # When it is sent with an endpoint that is no URL
    page.get_by_label("Name", exact=True).fill("Bad endpoint")
    page.get_by_label("Endpoint URL").fill("ftp://files.example.com/in")
    page.get_by_label("Subscriptions").fill("shop:event-type:order.Paid")
    page.get_by_role("button", name="Create webhook").click()

    # Then the API's reason is shown next to the endpoint, which has the focus
    expect(page.get_by_label("Endpoint URL")).to_have_attribute("aria-invalid", "true")
    assert field_error(page, "Endpoint URL") == "only http and https URLs are allowed"
    expect(page.get_by_label("Endpoint URL")).to_be_focused()

    # When the endpoint is fixed but the name emptied
    page.get_by_label("Endpoint URL").fill("http://127.0.0.1:9/in")
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_role("button", name="Create webhook").click()

    # Then the problem moves to the name
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    assert "at least 1 character" in field_error(page, "Name")
    assert field_error(page, "Endpoint URL") == ""
    console.screenshot("webhook-form-errors")


def test_a_webhook_is_filtered_edited_tested_deactivated_and_deleted_from_its_page(
    console: Console, receiver: Receiver
) -> None:
    # Given a webhook to a receiver that answers
    receiver.answer("/ok", then=Answer(200, body={"ok": True}))
    console.sign_in()
    page = console.page
    create_webhook_in_console(console, "Billing sync", receiver.url + "/ok", "shop:event-type:invoice.Paid")

    # When the list is filtered by name
    console.go("Webhooks")
    page.get_by_label("Name contains").fill("Billing")
    page.get_by_role("button", name="Filter").click()

    # Then only matching webhooks are listed
    expect(page.get_by_role("link", name="Billing sync")).to_be_visible()
    assert all("Billing" in name for name in page.locator("tbody tr td:first-child").all_inner_texts())

    # When the webhook is edited
    page.get_by_role("link", name="Billing sync").click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Name", exact=True).fill("Billing sync v2")
    page.get_by_role("button", name="Save changes").click()

    # Then its page shows the new name
    expect(page.get_by_role("heading", level=1)).to_have_text("Billing sync v2")

    # When a test is sent
    page.get_by_role("button", name="Send test").click()

    # Then the endpoint's answer is shown
    expect(page.locator(".test-result")).to_contain_text("The endpoint answered 200")
    receiver.wait_for(1, "/ok")

    # When the signing secret is revealed, then reset
    page.get_by_role("button", name="Reveal signing secret").click()
    secret = page.locator(".secret dd code").inner_text()
    page.get_by_role("button", name="Reset signing secret").click()
    page.get_by_role("dialog").get_by_role("button", name="Reset signing secret").click()

    # Then the new secret is shown, and it is the one the API has
    expect(page.locator(".secret")).to_contain_text("A new signing secret is in use")
    new_secret = page.locator(".secret dd code").inner_text()
    webhook_id = page.url.rsplit("/", 1)[1]
    assert new_secret != secret
    assert (
        api_json(console.dev, "GET", f"/api/v2/webhooks/{webhook_id}/signing_secret")["signing_secret"]["secret"]
        == new_secret
    )

    # When it is deactivated
    page.get_by_role("button", name="Deactivate").click()

    # Then it shows as inactive, and can be activated again
    expect(page.get_by_role("heading", level=1).locator("..")).to_contain_text("inactive")
    expect(page.get_by_role("button", name="Activate")).to_be_visible()

    # When delete is asked for, and cancelled
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()

    # Then nothing is deleted
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert api_json(console.dev, "GET", f"/api/v2/webhooks/{webhook_id}")["webhook"]["status"] == "inactive"

    # When it is deleted and the deletion confirmed
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete webhook").click()

    # Then the list no longer has it
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    expect(page.get_by_role("status").first).to_contain_text('Webhook "Billing sync v2" deleted')
    assert console.dev.api("GET", f"/api/v2/webhooks/{webhook_id}", console.dev.token).status_code == 404


def test_redeliver_and_recover_show_the_apis_error_when_the_stack_refuses_them(
    console: Console, receiver: Receiver
) -> None:
    # Given a failed invocation, on a stack whose API answers 404 to redeliver and recover
    # (an older stack: the answers are played by the browser, whatever this stack has)
    receiver.answer("/gone", then=Answer(500))
    console.expect_console(r"status of 404")
    console.sign_in()
    page = console.page
    not_found = json.dumps({"errors": [{"code": "1110", "title": "Not Found", "detail": "Not Found", "status": "404"}]})
    for action in ("**/redeliver", "**/recover"):
        page.route(action, lambda route: route.fulfill(status=404, content_type="application/json", body=not_found))
    inbound = create_inbound_webhook(console, "browser_old", "old", "thing.Happened")
    webhook_id = create_webhook_in_console(
        console, "Old stack", receiver.url + "/gone", "old:event-type:thing.Happened"
    )
    send(inbound, {"n": 1})
    eventually(
        lambda: api_json(console.dev, "GET", f"/api/v2/webhooks/{webhook_id}/invocations")["invocations"],
        lambda found: any(i["status"] == "failed" for i in found),
    )

    # When recovery is asked for
    page.reload()
    page.get_by_label("Since", exact=True).fill("2026-01-01T00:00")
    page.get_by_role("button", name="Recover failed invocations").click()

    # Then the API's answer is shown
    expect(page.get_by_role("alert")).to_have_text("Recover failed. The API answered 404 Not Found: Not Found")

    # When an invocation is redelivered
    page.get_by_role("row").filter(has_text="failed").get_by_role("link").click()
    page.get_by_role("button", name="Redeliver").click()

    # Then the API's answer is shown, and why it may be
    expect(page.get_by_role("alert")).to_have_text("Redeliver failed. The API answered 404 Not Found: Not Found")
    expect(page.locator(".help")).to_contain_text("does not offer redelivery")


def test_the_webhooks_list_pages_with_cursors(console: Console) -> None:
    # Given three webhooks whose names share a word
    for n in (1, 2, 3):
        api_json(
            console.dev,
            "POST",
            "/api/v2/webhooks",
            json={
                "webhook": {
                    "name": f"Paged {n}",
                    "endpoint": "http://127.0.0.1:9/paged",
                    "http_method": "POST",
                    "request_format": "json",
                    "status": "inactive",
                    "subscriptions": ["paged:event-type:thing.Done"],
                }
            },
        )
    console.sign_in()
    page = console.page

    # When they are listed two to a page
    console.open("#/webhooks?name=Paged&size=2")
    names = page.locator("tbody tr td:first-child")

    # Then the pages go forward and back by cursor
    expect(names).to_have_count(2)
    first_page = names.all_inner_texts()
    expect(page.get_by_role("link", name="Previous page")).to_have_count(0)
    page.get_by_role("link", name="Next page").click()
    expect(names).to_have_count(1)
    last = names.all_inner_texts()
    assert sorted(first_page + last) == ["Paged 1", "Paged 2", "Paged 3"]
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    page.get_by_role("link", name="Previous page").click()
    expect(names).to_have_count(2)
    assert names.all_inner_texts() == first_page


def test_an_attempt_shows_the_request_and_response_the_api_records_as_text(
    console: Console, receiver: Receiver
) -> None:
    # Given a failed invocation whose attempts the API answers with the request sent and
    # the response received (played by the browser: the shape the API is growing into)
    receiver.answer("/recorded", then=Answer(502))
    console.sign_in()
    page = console.page
    inbound = create_inbound_webhook(console, "browser_recorded", "rec", "thing.Sent")
    webhook_id = create_webhook_in_console(console, "Recorded", receiver.url + "/recorded", "rec:event-type:thing.Sent")
    send(inbound, {"n": 1})
    [invocation] = eventually(
        lambda: api_json(console.dev, "GET", f"/api/v2/webhooks/{webhook_id}/invocations")["invocations"],
        lambda found: any(i["status"] == "failed" for i in found),
    )
    attempt = {
        "id": f"{invocation['id']}-1",
        "invocation_id": invocation["id"],
        "number": 1,
        "status": "server error",
        "status_code": 502,
        "completed_at": "2026-11-23T09:30:00.123Z",
        "duration": 87,
        "error": None,
        "response_body": None,
        "request": {
            "headers": {"content-type": "application/json", "authorization": "[redacted]"},
            "payload": '{"ticket": "<script>alert(1)</script>"}',
        },
        "response": {"headers": {"x-upstream": "down"}, "payload": "<b>Bad gateway</b>", "truncated": True},
    }
    page.route(
        f"**/invocations/{invocation['id']}/attempts",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps({"attempts": [attempt]})
        ),
    )

    # When the invocation is opened
    page.reload()
    page.get_by_role("link", name=invocation["id"]).click()

    # Then the request and response are shown, as text
    shown = page.get_by_role("region", name="Attempt 1")
    expect(shown.get_by_role("table", name="Request headers")).to_contain_text("[redacted]")
    expect(shown.get_by_label("Request payload")).to_contain_text('"ticket": "<script>alert(1)</script>"')
    expect(shown.get_by_role("table", name="Response headers")).to_contain_text("x-upstream")
    expect(shown.get_by_label("Response payload")).to_have_text("<b>Bad gateway</b>")
    expect(shown).to_contain_text("Payload (truncated)")
    expect(shown).to_contain_text("87 ms")
    assert page.locator("b", has_text="Bad gateway").count() == 0


def test_after_the_receiver_recovers_redeliver_and_recover_send_again(console: Console, receiver: Receiver) -> None:
    # Given a receiver that fails, and a webhook whose two deliveries failed
    receiver.answer("/flaky", then=Answer(500))
    console.sign_in()
    page = console.page
    inbound = create_inbound_webhook(console, "browser_flaky", "flk", "thing.Flaky")
    webhook_id = create_webhook_in_console(console, "Flaky", receiver.url + "/flaky", "flk:event-type:thing.Flaky")
    for n in (1, 2):
        send(inbound, {"n": n})
    eventually(
        lambda: api_json(console.dev, "GET", f"/api/v2/webhooks/{webhook_id}/invocations")["invocations"],
        lambda found: [i["status"] for i in found] == ["failed", "failed"],
    )
    receiver.answer("/flaky", then=Answer(200))

    # When the first failed invocation is redelivered
    page.reload()
    page.get_by_role("row").filter(has_text="failed").first.get_by_role("link").click()
    page.get_by_role("button", name="Redeliver").click()

    # Then the console links the new invocation, and the receiver gets the same payload again
    expect(page.get_by_role("status").filter(has_text="Redelivery")).to_contain_text("Redelivery queued as invocation")
    arrived = receiver.wait_for(3, "/flaky")
    assert arrived[2].body in (arrived[0].body, arrived[1].body)

    # When every failure since before the two is recovered
    console.go("Webhooks")
    page.get_by_role("link", name="Flaky").click()
    since = datetime.now() - timedelta(minutes=10)  # the browser reads it in local time, as the test does
    page.get_by_label("Since", exact=True).fill(since.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Recover failed invocations").click()

    # Then the console says how many, and they arrive
    expect(page.get_by_role("status").filter(has_text="Recovery")).to_contain_text(
        "queued: 2 failed invocations will be sent again."
    )
    receiver.wait_for(5, "/flaky")
    found = eventually(
        lambda: api_json(console.dev, "GET", f"/api/v2/webhooks/{webhook_id}/invocations")["invocations"],
        lambda found: (
            sorted(i["trigger"] for i in found if i["status"] == "success") == ["manual", "recovery", "recovery"]
        ),
    )
    assert sorted(i["trigger"] for i in found if i["status"] == "success") == ["manual", "recovery", "recovery"]
    page.reload()
    for trigger in ("manual", "recovery"):
        expect(page.get_by_role("row").filter(has_text=trigger).first).to_contain_text("success")
    console.screenshot("recovered")
    assert len(found) == 5


def test_a_token_the_api_stops_accepting_ends_the_session(console: Console) -> None:
    # Given a signed-in console, whose token the API then refuses (revoked)
    console.expect_console(r"status of 401")
    console.sign_in()
    page = console.page
    body = json.dumps({"errors": [{"code": "1001", "title": "Unauthorized", "detail": "Authentication failed"}]})
    page.route("**/api/services/zis/registry/integrations", lambda route: route.fulfill(status=401, body=body))

    # When the next view calls the API
    console.go("Integrations")

    # Then the user is back at the sign-in form, told why, and the token is gone
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("no longer accepts your token")
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None


# ------------------------------------------------------------------ integrations


def test_a_bundle_uploaded_in_the_console_is_installed_and_its_flow_logs(
    console: Console, receiver: Receiver, tmp_path: Path
) -> None:
    # Given an integration created in the console, and the ZIS tutorial's bundle as a file
    integration = "browser_tutorial"
    bundle = tmp_path / "tutorial_bundle.json"
    bundle.write_text(tutorial_bundle(integration, receiver.url + "/tutorial"))
    console.sign_in()
    page = console.page
    console.go("Integrations")
    console.screenshot("integrations")
    page.get_by_label("Name", exact=True).fill(integration)
    page.get_by_label("Description").fill("The ZIS tutorial")
    page.get_by_role("button", name="Create integration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(integration)

    # When the bundle is uploaded
    page.get_by_label("Bundle file (JSON)").set_input_files(bundle)
    page.get_by_role("button", name="Upload bundle").click()

    # Then its job spec is listed, not installed
    specs = page.get_by_role("region", name="Job specs")
    row = specs.get_by_role("row").filter(has_text="ticket_created_jobspec")
    expect(row).to_contain_text("not installed")

    # When it is installed
    row.get_by_role("button", name="Install ticket_created_jobspec").click()

    # Then it shows as installed
    expect(row.get_by_role("button", name="Uninstall ticket_created_jobspec")).to_be_visible()
    expect(row.locator(".badge")).to_have_text("installed")
    console.screenshot("integration")

    # When an event reaches it and the flow runs
    inbound = create_inbound_webhook(console, integration, "support", "ticket.TicketCreated")
    send(inbound, {"ticket_event": {"ticket": {"id": 35436, "status": "open", "priority": "high"}}})
    receiver.wait_for(1, "/tutorial")
    eventually(
        lambda: api_json(console.dev, "GET", f"/api/services/zis/integrations/{integration}/logs")["logs"],
        lambda logs: any("Execution Successful" in e["message"] for e in logs),
    )

    # Then the Logs page shows its entries, filtered by level
    console.go("Logs")
    page.get_by_label("Integration", exact=True).fill(integration)
    page.get_by_label("Level").select_option("info")
    page.get_by_role("button", name="Show logs").click()
    entry = page.get_by_role("row").filter(has_text="Execution Successful")
    expect(entry).to_contain_text("info")
    console.screenshot("logs")

    # When the entry's execution is opened
    entry.get_by_role("link").click()

    # Then the execution and its steps are shown
    expect(page.get_by_role("heading", level=1)).to_contain_text("Execution")
    expect(page.get_by_role("region", name="Summary")).to_contain_text("succeeded")
    expect(page.get_by_role("region", name="Steps").get_by_role("row")).not_to_have_count(0)
    console.screenshot("execution")

    # When the logs are filtered by another flow
    console.go("Logs")
    page.get_by_label("Integration", exact=True).fill(integration)
    page.get_by_label("Flow").fill("zis:browser_tutorial:flow:no_such_flow")
    page.get_by_role("button", name="Show logs").click()

    # Then nothing matches
    expect(page.get_by_text("No log entries match")).to_be_visible()

    # When they are filtered by a time range after the run
    page.get_by_label("Flow").fill("")
    page.get_by_label("From").fill("2099-01-01T00:00")
    page.get_by_role("button", name="Show logs").click()

    # Then nothing matches either
    expect(page.get_by_text("No log entries match")).to_be_visible()

    # When the job spec is uninstalled
    console.open(f"#/integrations/{integration}")
    page.get_by_role("button", name="Uninstall ticket_created_jobspec").click()

    # Then it shows as not installed
    expect(page.get_by_role("region", name="Job specs").locator(".badge")).to_have_text("not installed")


def test_a_bundle_the_api_refuses_shows_every_problem(console: Console, tmp_path: Path) -> None:
    # Given an integration, and a bundle with three problems
    console.expect_console(r"status of 400")
    api_json(console.dev, "POST", "/api/services/zis/registry/browser_bad", json={"description": "bad bundles"})
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "zis_template_version": "2019-10-14",
                "name": "bad",
                "resources": {
                    "flow": {
                        "type": "ZIS::Flow",
                        "properties": {
                            "name": "flow",
                            "definition": {"StartAt": "Nope", "States": {"A": {"Type": "Parallel"}}},
                        },
                    },
                    "spec": {
                        "type": "ZIS::JobSpec",
                        "properties": {
                            "name": "spec",
                            "event_source": "s",
                            "event_type": "t",
                            "flow_name": "zis:browser_bad:flow:missing",
                        },
                    },
                },
            }
        )
    )
    console.sign_in()
    page = console.page
    console.open("#/integrations/browser_bad")

    # When it is uploaded
    page.get_by_label("Bundle file (JSON)").set_input_files(bad)
    page.get_by_role("button", name="Upload bundle").click()

    # Then every problem is listed, naming where it is
    problems = page.get_by_role("alert")
    expect(problems).to_contain_text("The bundle was refused (3 problems)")
    expect(problems.locator("li")).to_have_count(3)
    expect(problems).to_contain_text("$.resources.flow.properties.definition.StartAt")
    expect(problems).to_contain_text("Parallel states are not supported")
    console.screenshot("bundle-errors")

    # When a file that is not JSON is chosen
    bad.write_text("{not json")
    page.get_by_label("Bundle file (JSON)").set_input_files(bad)
    page.get_by_role("button", name="Upload bundle").click()

    # Then the console says so without sending it
    expect(page.get_by_role("alert")).to_contain_text("bad.json is not JSON")


def test_connections_never_show_their_secrets_and_configs_are_edited(console: Console) -> None:
    # Given an integration
    api_json(console.dev, "POST", "/api/services/zis/registry/browser_conn", json={"description": ""})
    console.sign_in()
    page = console.page
    console.open("#/integrations/browser_conn")
    connections = page.get_by_role("region", name="Connections")

    # When a bearer token connection is created
    connections.get_by_label("Type").select_option("bearer_token")
    connections.get_by_label("Name", exact=True).fill("zendesk")
    connections.get_by_label("Allowed domain").fill("example.zendesk.com")
    connections.get_by_label("Token").fill("very-secret-token-value")
    connections.get_by_role("button", name="Create connection").click()

    # Then it is listed, and its secret is nowhere on the page
    expect(connections.get_by_role("row").filter(has_text="example.zendesk.com")).to_contain_text("bearer_token")
    assert "very-secret-token-value" not in page.content()

    # When a config is created, then changed
    configs = page.get_by_role("region", name="Configs")
    configs.get_by_label("Scope").fill("settings")
    configs.get_by_label("Config (JSON object)").fill('{"priority": "high"}')
    configs.get_by_role("button", name="Create config").click()
    configs.get_by_text("settings", exact=True).click()
    configs.get_by_label("Config of settings (JSON)").fill('{"priority": "low"}')
    configs.get_by_role("button", name="Save config").click()

    # Then the API has the change
    expect(configs.get_by_role("status")).to_contain_text("Config settings saved")
    config = api_json(console.dev, "GET", "/api/services/zis/integrations/browser_conn/configs/settings")
    assert config["config"]["config"] == {"priority": "low"}
    console.screenshot("integration-connections-configs")


def test_inbound_webhooks_are_listed_rotated_and_deleted(console: Console) -> None:
    # Given an inbound webhook created in the console
    console.sign_in()
    page = console.page
    first = create_inbound_webhook(console, "browser_inbound", "crm", "contact.Created")
    row = page.get_by_role("row").filter(has_text=first["username"])
    expect(row).to_contain_text("contact.Created")
    console.screenshot("inbound-webhooks")

    # When the password's copy button is pressed
    page.get_by_role("button", name="Copy password").click()

    # Then the clipboard holds the password
    expect(page.locator(".copy-status").nth(2)).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == first["password"]

    # When its credentials are rotated
    row.get_by_role("button", name=re.compile("^Rotate credentials")).click()
    page.get_by_role("dialog").get_by_role("button", name="Rotate credentials").click()

    # Then a new pair is shown once, and the old one no longer works
    expect(page.locator(".alert-ok")).to_contain_text("New credentials are in use")
    rotated = page.locator(".alert-ok dd code").all_inner_texts()
    assert rotated[0] == first["url"]
    assert rotated[1] != first["username"]
    old = requests.post(first["url"], auth=(first["username"], first["password"]), json={}, timeout=30)
    assert old.status_code == 401
    send({"url": rotated[0], "username": rotated[1], "password": rotated[2]}, {"ok": True})

    # When it is deleted and the deletion confirmed
    page.get_by_role("row").filter(has_text=rotated[1]).get_by_role("button", name=re.compile("^Delete")).click()
    page.get_by_role("dialog").get_by_role("button", name="Delete inbound webhook").click()

    # Then the list is empty again and its URL is refused
    expect(page.get_by_text("No inbound webhooks in this integration yet.")).to_be_visible()
    gone = requests.post(rotated[0], auth=(rotated[1], rotated[2]), json={}, timeout=30)
    assert gone.status_code == 401
