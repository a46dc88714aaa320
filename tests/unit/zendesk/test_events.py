"""Zendesk webhook events as ZIS events: golden translations, one events/zendesk file per
row of the table, written from the documented examples
(shared/reference/zendesk-events-to-zis.md; the payloads follow Zendesk's examples)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hookyard.zendesk import events
from tests.conftest import EVENTS

# The ticket of Zendesk's ticket.created example (ticket 5158) as ZIS writes a ticket:
# integer ids, external_id a string (here null), lower-case enums, whole-second times;
# the webhook's extra fields kept beside ZIS's.
TICKET = {
    "assignee_id": 8447388090494,
    "brand_id": 8447346621310,
    "created_at": "2025-01-08T10:12:07Z",
    "external_id": None,
    "form_id": 8646151517822,
    "group_id": 8447320466430,
    "id": 5158,
    "organization_id": 8447346622462,
    "priority": "low",
    "requester_id": 8447388090494,
    "status": "open",
    "submitter_id": 8447388090494,
    "tags": ["order-help"],
    "type": "task",
    "updated_at": "2025-01-08T10:12:07Z",
    "via": {"channel": "web_service"},
    "actor_id": 8447388090494,
    "custom_status": "8447388063358",
    "description": "I need help with my recent order",
    "is_public": True,
    "subject": "Order help request",
}
# Zendesk's "0" for no default group is null, as the REST API writes none.
USER = {
    "id": 8447388090494,
    "external_id": "crm-42",
    "role": "end-user",
    "email": "jane@example.com",
    "created_at": "2025-01-08T10:12:07Z",
    "updated_at": "2025-01-08T10:15:51Z",
    "organization_id": 8447346622462,
    "default_group_id": None,
}

# (Zendesk type, ZIS event_type, ZIS type, what the ZIS event carries besides meta/type/resource)
TICKET_ROWS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("ticket.created", "ticket.TicketCreated", "Ticket Created", {}),
    ("ticket.agent_assignment_changed", "ticket.AgentAssignmentChanged", "Agent Assignment Changed",
     {"previous": 235323, "current": 235324}),
    ("ticket.attachment_linked_to_comment", "ticket.AttachmentLinkedToComment", "Attachment Linked to Comment",
     {"attachment": {"id": 8659716091134, "content_url": "https://acme.zendesk.com/attachments/token/abc/?name=invoice.pdf",
                     "content_type": "application/pdf", "filename": "invoice.pdf", "is_public": True,
                     "comment_id": 8659716087550}}),
    ("ticket.attachment_redacted_from_comment", "ticket.AttachmentRedactedFromComment",
     "Attachment Redacted from Comment", {"attachment": {"id": 8659716091134, "comment_id": 8659716087550}}),
    ("ticket.brand_changed", "ticket.BrandChanged", "Brand Changed",
     {"previous": 8447346621310, "current": 8447346621999}),
    ("ticket.comment_added", "ticket.CommentAdded", "Comment Created",
     {"comment": {"author": {"id": 8659716080510, "is_staff": False, "name": "John Smith"},
                  "body": "Thanks for the quick response!", "id": 8659716087550, "is_public": True}}),
    ("ticket.comment_made_private", "ticket.CommentMadePrivate", "Comment Made Private",
     {"comment": {"id": 8659716087550, "is_public": False}}),
    ("ticket.comment_redacted", "ticket.CommentRedacted", "Comment Redacted", {"comment": {"id": 8659716087550}}),
    ("ticket.custom_field_changed", "ticket.CustomFieldChanged", "Custom Field Changed",
     {"custom_field": {"id": 360012345678, "title": "Order number", "field_type": "text"},
      "previous": "A-100", "current": "A-101"}),
    ("ticket.description_changed", "ticket.DescriptionChanged", "Description Changed",
     {"previous": "I need help", "current": "I need help with my recent order"}),
    ("ticket.external_id_changed", "ticket.ExternalIdChanged", "External ID Changed",
     {"previous": "41EA202E1-123", "current": "41EA202E1-124"}),
    ("ticket.email_ccs_changed", "ticket.CcsChanged", "Email CCs Changed",
     {"previous": [8447388090494], "current": [8447388090494, 8447388090777]}),
    ("ticket.followers_changed", "ticket.FollowersChanged", "Followers Changed",
     {"previous": [], "current": [8447388090494]}),
    ("ticket.form_changed", "ticket.TicketFormChanged", "Form Changed",
     {"previous": 8646151517822, "current": 8646151517999}),
    ("ticket.group_assignment_changed", "ticket.GroupAssignmentChanged", "Group Assignment Changed",
     {"previous": 8447320466430, "current": 8447320466999}),
    ("ticket.organization_changed", "ticket.OrganizationChanged", "Organization Changed",
     {"previous": None, "current": 8447346622462}),
    ("ticket.priority_changed", "ticket.PriorityChanged", "Priority Changed",
     {"previous": "normal", "current": "urgent"}),
    ("ticket.problem_link_changed", "ticket.ProblemLinkChanged", "Problem Link Changed",
     {"previous": None, "current": 5100}),
    ("ticket.requester_changed", "ticket.RequesterChanged", "Requester Changed",
     {"previous": 8447388090494, "current": 8447388090777}),
    ("ticket.status_changed", "ticket.StatusChanged", "Status Changed", {"previous": "new", "current": "open"}),
    ("ticket.subject_changed", "ticket.SubjectChanged", "Subject Changed",
     {"previous": "Order help", "current": "Order help request"}),
    ("ticket.submitter_changed", "ticket.SubmitterChanged", "Submitter Changed",
     {"previous": 8447388090494, "current": 8447388090777}),
    ("ticket.tags_changed", "ticket.TagsChanged", "Tags Changed",
     {"tags_added": ["urgent", "vip"], "tags_removed": ["pending-review"],
      "previous": ["order-help", "pending-review"], "current": ["order-help", "urgent", "vip"]}),
    ("ticket.task_due_at_changed", "ticket.TaskDueAtChanged", "Task Due At Changed",
     {"previous": None, "current": "2025-01-10T12:00:00Z"}),
    ("ticket.marked_as_spam", "ticket.MarkedAsSpam", "Ticket Marked as Spam", {}),
    ("ticket.merged", "ticket.TicketMerged", "Ticket Merged", {"target_ticket_id": 5100}),
    ("ticket.permanently_deleted", "ticket.TicketPermanentlyDeleted", "Ticket Permanently Deleted", {}),
    ("ticket.soft_deleted", "ticket.TicketSoftDeleted", "Ticket Soft Deleted", {}),
    ("ticket.type_changed", "ticket.TicketTypeChanged", "Ticket Type Changed",
     {"previous": "question", "current": "task"}),
    ("ticket.undeleted", "ticket.TicketUndeleted", "Ticket Undeleted", {}),
]  # fmt: skip
USER_ROWS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("user.created", "user.UserCreated", "User Created", {}),
    ("user.active_changed", "user.UserIsActiveChanged", "Active Status Changed", {"previous": True, "current": False}),
    ("user.alias_changed", "user.UserAliasChanged", "Alias Changed", {"previous": "", "current": "Jay"}),
    ("user.custom_field_changed", "user.CustomFieldChanged", "Custom Field Changed",
     {"custom_field": {"id": 360098765432, "title": "Tier", "field_type": "dropdown"},
      "previous": "silver", "current": "gold"}),
    ("user.custom_role_changed", "user.CustomRoleChanged", "Custom Role Changed",
     {"previous": None, "current": 360000111222}),
    ("user.default_group_changed", "user.UserDefaultGroupChanged", "Default Group Changed",
     {"previous": None, "current": 8447320466430}),
    ("user.details_changed", "user.UserDetailsChanged", "Details Changed", {"previous": "", "current": "VIP customer"}),
    ("user.external_id_changed", "user.ExternalIdChanged", "External ID Changed",
     {"previous": "crm-41", "current": "crm-42"}),
    ("user.group_membership_created", "user.UserGroupAdded", "Group Added",
     {"group": {"id": 8447320466430, "name": "Support"}}),
    ("user.group_membership_deleted", "user.UserGroupRemoved", "Group Removed",
     {"group": {"id": 8447320466430, "name": "Support"}}),
    ("user.identity_changed", "user.UserIdentityChanged", "Identity Changed",
     {"identity": {"id": 9001234567, "type": "email", "value": "jane@example.com", "primary": True}}),
    ("user.identity_created", "user.UserIdentityCreated", "Identity Created",
     {"identity": {"id": 9001234567, "type": "email", "value": "jane@example.com", "primary": False}}),
    ("user.identity_deleted", "user.UserIdentityRemoved", "Identity Deleted",
     {"identity": {"id": 9001234567, "type": "email", "value": "jane@example.com", "primary": False}}),
    ("user.last_login_changed", "user.LastLoginChanged", "Last Login Changed",
     {"previous": "2025-01-07T09:00:00Z", "current": "2025-01-08T10:15:51Z"}),
    ("user.merged", "user.UserMerged", "User Merged", {"target_user_id": 8447388090777}),
    ("user.name_changed", "user.UserNameChanged", "Name Changed", {"previous": "Jane", "current": "Jane Doe"}),
    ("user.notes_changed", "user.UserNotesChanged", "Notes Changed", {"previous": "", "current": "Prefers email"}),
    ("user.only_private_comments_changed", "user.OnlyPrivateCommentsChanged", "Only Private Comments Changed",
     {"previous": False, "current": True}),
    ("user.organization_membership_created", "user.UserOrganizationAdded", "Organization Added",
     {"organization": {"id": 8447346622462, "name": "Acme"}}),
    ("user.organization_membership_deleted", "user.UserOrganizationRemoved", "Organization Removed",
     {"organization": {"id": 8447346622462, "name": "Acme"}}),
    ("user.photo_changed", "user.UserPhotoChanged", "Photo Changed",
     {"previous": None, "current": {"id": 9002345678, "content_url": "https://acme.zendesk.com/photos/jane.png"}}),
    ("user.role_changed", "user.UserRoleChanged", "Role Changed", {"previous": "end-user", "current": "agent"}),
    ("user.tags_changed", "user.TagsChanged", "Tags Changed",
     {"tags_added": ["vip"], "tags_removed": [], "previous": [], "current": ["vip"]}),
    ("user.time_zone_changed", "user.TimeZoneChanged", "Time Zone Changed",
     {"previous": "Eastern Time (US & Canada)", "current": "Amsterdam"}),
]  # fmt: skip


def zendesk_event(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((EVENTS / "zendesk" / f"{name}.json").read_text())
    return payload


@pytest.mark.parametrize(("zendesk_type", "tag", "zis_type", "extra"), TICKET_ROWS, ids=[r[0] for r in TICKET_ROWS])
def test_a_ticket_event_becomes_the_zis_ticket_event_of_its_row(
    zendesk_type: str, tag: str, zis_type: str, extra: dict[str, Any]
) -> None:
    # Given what Zendesk posts for the event
    payload = zendesk_event(zendesk_type)

    # When it is translated
    translation = events.translate(payload)

    # Then it is the ZIS event of its tag, shaped as ZIS passes it to a flow
    ticket = {**TICKET, "tags": payload["detail"]["tags"]}
    assert (translation.detail_type, translation.zendesk_type, translation.mapped) == (
        tag,
        f"zen:event-type:{zendesk_type}",
        True,
    )
    assert translation.body == {
        "ticket_event": {
            "meta": {
                "version": "1.0",
                "occurred_at": "2025-01-08T10:12:07Z",
                "ref": payload["id"],
                "sequence": {"id": "39313930383633353634323835", "position": 1},
            },
            "type": zis_type,
            "ticket": ticket,
            **extra,
        }
    }


@pytest.mark.parametrize(("zendesk_type", "tag", "zis_type", "extra"), USER_ROWS, ids=[r[0] for r in USER_ROWS])
def test_a_user_event_becomes_the_zis_user_event_of_its_row(
    zendesk_type: str, tag: str, zis_type: str, extra: dict[str, Any]
) -> None:
    # Given what Zendesk posts for the event
    payload = zendesk_event(zendesk_type)

    # When it is translated
    translation = events.translate(payload)

    # Then
    user = {**USER, **({"tags": payload["detail"]["tags"]} if "tags" in payload["detail"] else {})}
    assert (translation.detail_type, translation.zendesk_type) == (tag, f"zen:event-type:{zendesk_type}")
    assert translation.body == {
        "user_event": {
            "meta": {"version": "1.0", "occurred_at": "2025-01-08T10:15:51Z", "ref": payload["id"]},
            "type": zis_type,
            "user": user,
            **extra,
        }
    }


def test_every_row_of_the_table_has_its_golden_translation() -> None:
    # Given the table's rows
    rows = set(events.table().rows)

    # Then each is among the goldens above, and each golden has its events file
    assert rows == {f"{r[0]}" for r in TICKET_ROWS + USER_ROWS}
    assert all((EVENTS / "zendesk" / f"{name}.json").is_file() for name in rows)


@pytest.mark.parametrize(
    "zendesk_type", ["agent.state_changed", "ticket.sla_policy_changed", "organization.created", "article.published",
                     "user.deleted"],
)  # fmt: skip
def test_an_event_with_no_zis_equivalent_keeps_its_zendesk_type_and_payload(zendesk_type: str) -> None:
    # Given an event ZIS has no tag for (agent availability, SLA, organizations, Guide, a deleted user)
    payload = zendesk_event(zendesk_type)

    # When
    translation = events.translate(payload)

    # Then it is published under Zendesk's own type, as Zendesk sent it
    assert translation.mapped is False
    assert translation.detail_type == f"zen:event-type:{zendesk_type}"
    assert translation.body == payload


def test_the_slash_spelling_is_the_same_event_as_the_colon_spelling() -> None:
    # Given user.identity_changed spelled as Zendesk's own docs spell it
    payload = zendesk_event("user.identity_changed")
    assert payload["type"] == "zen:event-type/user.identity_changed"

    # When
    slash = events.translate(payload)
    colon = events.translate({**payload, "type": "zen:event-type:user.identity_changed"})

    # Then both are one event, known by the colon spelling
    assert slash == colon
    assert slash.zendesk_type == "zen:event-type:user.identity_changed"


def test_integer_ids_and_lower_case_values_translate_as_string_ones_do() -> None:
    # Given ticket.created as an older schema has it: integer ids, lower-case enums, a zone offset
    strings = zendesk_event("ticket.created")
    integers = zendesk_event("ticket.created-integer-ids")
    assert integers["detail"]["id"] == 5158
    assert integers["time"] == "2025-01-08T11:12:07+01:00"

    # When
    a, b = events.translate(strings).body["ticket_event"], events.translate(integers).body["ticket_event"]

    # Then the ticket is the same, and the time is UTC in whole seconds
    assert a["ticket"] == b["ticket"]
    assert b["meta"]["occurred_at"] == "2025-01-08T10:12:07Z"


def test_ids_that_are_not_decimal_numbers_stay_as_they_came() -> None:
    # Given a ticket whose ids are not all numbers
    payload = zendesk_event("ticket.created")
    payload["detail"] = {**payload["detail"], "id": "5158", "brand_id": "abc", "group_id": None}

    # When
    ticket = events.translate(payload).body["ticket_event"]["ticket"]

    # Then numbers become integers and the rest is untouched
    assert (ticket["id"], ticket["brand_id"], ticket["group_id"]) == (5158, "abc", None)


def test_fields_zendesk_leaves_out_are_null_in_the_zis_resource() -> None:
    # Given a ticket event whose detail has only an id
    payload = {**zendesk_event("ticket.created"), "detail": {"id": "7"}}

    # When
    ticket = events.translate(payload).body["ticket_event"]["ticket"]

    # Then every ZIS ticket field is there
    assert ticket["id"] == 7
    assert set(ticket) == set(events.table().domains["ticket"].fields)
    assert ticket["status"] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-08T10:12:07.672717030Z", "2025-01-08T10:12:07Z"),
        ("2025-01-08T10:12:07Z", "2025-01-08T10:12:07Z"),
        ("2025-01-08T12:12:07.5+02:00", "2025-01-08T10:12:07Z"),
        ("not a time", "not a time"),
    ],
)
def test_times_are_whole_seconds_in_utc(text: str, expected: str) -> None:
    assert events.whole_seconds(text) == expected
