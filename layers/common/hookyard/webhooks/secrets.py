"""A webhook's secrets: its signing secret, its endpoint credentials and its verify token,
sealed before they are stored and opened when a request is signed or sent.

Each is sealed under a context naming its account, webhook and purpose, so a sealed
value copied into another webhook's item (or used for another purpose) does not open.
The storage layer keeps only the sealed text; this module is the only one that turns it
back into a secret. Values are secrets: never log them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hookyard.crypto import Sealer
from hookyard.models.webhooks import WebhookRecord
from hookyard.webhooks.headers import authentication_headers

SIGNING_SECRET = "signing_secret"  # noqa: S105 - a purpose name, not a secret
AUTHENTICATION = "authentication"
VERIFY_TOKEN = "verify_token"  # noqa: S105


def seal_context(account_id: int, webhook_id: str, purpose: str) -> dict[str, str]:
    """KMS encryption context: a sealed value opens only for its own webhook and purpose."""
    return {"account_id": str(account_id), "webhook_id": webhook_id, "purpose": purpose}


@dataclass(frozen=True)
class WebhookSecrets:
    sealer: Sealer

    # ------------------------------------------------------------ sealing (webhooks API)
    def seal_signing_secret(self, account_id: int, webhook_id: str, secret: str) -> str:
        return self.sealer.seal(secret, seal_context(account_id, webhook_id, SIGNING_SECRET))

    def seal_authentication(self, account_id: int, webhook_id: str, data: dict[str, str]) -> str:
        text = json.dumps(data, separators=(",", ":"))
        return self.sealer.seal(text, seal_context(account_id, webhook_id, AUTHENTICATION))

    def seal_verify_token(self, account_id: int, webhook_id: str, token: str) -> str:
        return self.sealer.seal(token, seal_context(account_id, webhook_id, VERIFY_TOKEN))

    # ------------------------------------------------------------ opening (delivery, API)
    def signing_secret(self, record: WebhookRecord) -> str:
        """The webhook's signing secret, in clear."""
        return self.sealer.unseal(
            record.signing_secret_sealed, seal_context(record.account_id, record.id, SIGNING_SECRET)
        )

    def authentication_data(self, record: WebhookRecord) -> dict[str, str] | None:
        """The webhook's credentials ({username, password} | {token} | {name, value}), in clear."""
        if record.authentication is None:
            return None
        text = self.sealer.unseal(
            record.authentication.sealed, seal_context(record.account_id, record.id, AUTHENTICATION)
        )
        data: dict[str, str] = json.loads(text)
        return data

    def auth_headers(self, record: WebhookRecord) -> dict[str, str]:
        """The headers that authenticate a request to the webhook's endpoint ({} without
        authentication). Values are credentials."""
        data = self.authentication_data(record)
        if record.authentication is None or data is None:
            return {}
        return authentication_headers(record.authentication.type, data, record.authentication.add_position)

    def verify_token(self, record: WebhookRecord) -> str | None:
        sealed = record.verification.verify_token_sealed if record.verification else None
        if sealed is None:
            return None
        return self.sealer.unseal(sealed, seal_context(record.account_id, record.id, VERIFY_TOKEN))
