"""Security failures, each carrying helsenorge.no's transport error condition as `code`.

The codes are the ``errorCondition`` values of HITS 1216 (AMQP specification for helsenorge.no) and
Helsenorge.Messaging, so a pipeline can put ``code`` and `condition_data` on an error queue as
they are. Where the vocabulary has one code for several causes (a certificate not valid *yet* and
one no longer valid are both ``transport:expired-certificate``), `reason` tells them apart.
"""

from __future__ import annotations

from typing import Any

from digidialog.errors import Location, SecurityError


class TransportSecurityError(SecurityError):
    """Base of the security family: `code` (transport vocabulary), `reason` (finer slug), data."""

    code = "transport:invalid-signature"
    reason = "invalid"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        thumbprint: str | None = None,
        expected_thumbprint: str | None = None,
        retryable: bool = False,
        location: Location | None = None,
        hint: str | None = None,
    ) -> None:
        if reason is not None:
            self.reason = reason
        self.thumbprint = thumbprint
        self.expected_thumbprint = expected_thumbprint
        self.retryable = retryable
        super().__init__(message, location=location, hint=hint)

    @property
    def condition_data(self) -> dict[str, Any]:
        """The ``errorConditionData`` HITS 1216 asks for: certificate thumbprints, if known."""
        if self.expected_thumbprint is not None:
            return {"thumbprint": {"expected": self.expected_thumbprint, "actual": self.thumbprint}}
        if self.thumbprint is not None:
            return {"thumbprint": self.thumbprint}
        return {}


class InvalidSignatureError(TransportSecurityError):
    """The signature does not verify, or breaks the profile (algorithm, placement, wrapping)."""

    code = "transport:invalid-signature"


class InvalidCertificateError(TransportSecurityError):
    """Unknown, untrusted or wrongly used certificate (wrong key usage, weak key, not ours)."""

    code = "transport:invalid-certificate"


class ExpiredCertificateError(TransportSecurityError):
    """The certificate is outside its validity period at the verification time."""

    code = "transport:expired-certificate"
    reason = "expired"


class NotYetValidCertificateError(ExpiredCertificateError):
    """The certificate's validity starts after the verification time (same transport code)."""

    reason = "not-yet-valid"


class RevokedCertificateError(TransportSecurityError):
    """The certificate was revoked before the verification time."""

    code = "transport:revoked-certificate"
    reason = "revoked"


class RevocationUnavailableError(RevokedCertificateError):
    """Revocation status could not be learnt; never taken as valid. `retryable` is the policy's."""

    reason = "revocation-status-unavailable"


class DecryptionFailedError(TransportSecurityError):
    """The CMS envelope could not be decrypted (wrong key, damaged data, refused cipher)."""

    code = "transport:decryption-failed"


class InvalidCmsError(TransportSecurityError):
    """The bytes are not the CMS structure expected (not DER, wrong content type, truncated)."""

    code = "transport:invalid-cms-pkcs"


class SpoofingError(TransportSecurityError):
    """The message was signed by someone other than the sender it claims to come from."""

    code = "abuse:spoofing-attack"
    reason = "signer-is-not-sender"
