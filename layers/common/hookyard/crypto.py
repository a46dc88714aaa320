"""Secrets we must read back (connection credentials, signing secrets) are sealed with
the stack's KMS key before they are stored, bound to an encryption context naming
their owner, so a sealed value copied to another account's item does not open."""

from __future__ import annotations

import base64

from hookyard import aws
from hookyard.config import SecretsSettings, get_settings


def seal(plaintext: str, context: dict[str, str]) -> str:
    out = aws.kms().encrypt(
        KeyId=get_settings(SecretsSettings).secrets_key_id,
        Plaintext=plaintext.encode(),
        EncryptionContext=context,
    )
    return base64.b64encode(out["CiphertextBlob"]).decode()


def unseal(sealed: str, context: dict[str, str]) -> str:
    out = aws.kms().decrypt(CiphertextBlob=base64.b64decode(sealed), EncryptionContext=context)
    return out["Plaintext"].decode()
