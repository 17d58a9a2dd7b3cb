"""One party's end of the secure channel: sign and seal going out, open and verify coming in.

Built once per party (keys loaded, `Signer`/`Verifier`/`Sealer`/`Opener` constructed), so the
per-message path does only per-message work. A MsgHead carries an enveloped XML-DSig; an AppRec has
no place for one in its schema, so it is authenticated by the CMS signature of the sealed form
alone — and an unsealed AppRec is refused.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from digidialog.errors import ParseError
from digidialog.model import AppRec, Message, MsgHead
from digidialog.security import (
    CertificateResolver,
    CertificateValidator,
    InvalidCertificateError,
    KeyPurpose,
    Opener,
    Refreshable,
    Sealer,
    Signer,
    SpoofingError,
    TransportSecurityError,
    Verifier,
)
from digidialog.security.cms import sealed_for
from digidialog.transport import CMS_CONTENT_TYPE, XML_CONTENT_TYPE, Envelope
from digidialog.xml.parser import parse_bytes

log = logging.getLogger(__name__)

_MSGHEAD_TAG = etree.QName("http://www.kith.no/xmlstds/msghead/2006-05-24", "MsgHead").text
REFRESH_INTERVAL = 60.0
"""Seconds between two refreshes of the resolver caused by an envelope it did not know the
signer of (`SecureChannel.unpack`)."""
_STALE_REGISTER = frozenset({"signer-is-not-sender", "unknown-sender", "missing-certificate"})
"""Refusals a resolver that is out of date can cause: a sender whose new certificate it has not
read yet."""
APPREC_SUBJECT = "APPREC"
"""The envelope subject of an AppRec: its code in 8279 «Meldingens funksjon» (HITS 1216 §2.1.2; a
MsgHead's is its MsgInfo/Type). Before, digidialog wrote ``AppRec``: see `is_apprec_subject`."""


def is_apprec_subject(subject: str) -> bool:
    """Whether an envelope ``subject`` names an AppRec: ``APPREC``, or ``AppRec`` as older
    digidialog versions wrote it (outbox entries kept from then). Only for what this party sent:
    what a received envelope is, is read from its content, never from its subject."""
    return subject.upper() == APPREC_SUBJECT


class RefreshPending(Exception):
    """The register was read again too recently to read it again now (`SecureChannel.reseal`)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """A party's HER-id (the one on the transport) and its two key pairs."""

    her_id: str
    signing_key: rsa.RSAPrivateKey
    signing_certificate: x509.Certificate
    encryption_key: rsa.RSAPrivateKey
    encryption_certificate: x509.Certificate


@dataclass(frozen=True, slots=True)
class Packed:
    """An outgoing message: the XML as signed (what the journal archives) and its envelope."""

    xml: bytes
    envelope: Envelope


@dataclass(frozen=True, slots=True)
class Unpacked:
    """An incoming message after opening and verification.

    ``xml`` is what was signed and nothing else (for a MsgHead the document without its signature,
    as the verifier handed it on; for an AppRec the CMS content). ``document`` is the received
    MsgHead with its signature, for the archive.
    """

    xml: bytes
    document: bytes
    tree: etree._ElementTree
    is_msghead: bool


class SecureChannel:
    """Packs and unpacks envelopes for one party (see the module docs).

    ``resolver`` maps HER-ids to certificates (the address register's role): it names the
    receiver's encryption certificate when sealing and the sender's signing certificate when
    checking that the signer is who the envelope says. ``seal=False`` sends signed XML without
    CMS (a transport that encrypts by itself); received CMS is always opened.
    """

    def __init__(
        self,
        identity: Identity,
        validator: CertificateValidator,
        resolver: CertificateResolver,
        *,
        seal: bool = True,
    ) -> None:
        self.identity = identity
        self.resolver = resolver
        self.seal = seal
        self._refreshed: float | None = None
        self._refresh_lock = threading.Lock()
        self._signer = Signer(identity.signing_key, identity.signing_certificate)
        self._sealer = Sealer(identity.signing_key, identity.signing_certificate)
        self._verifier = Verifier(validator, resolver=resolver)
        self._opener = Opener(
            identity.encryption_key, identity.encryption_certificate, validator, resolver=resolver
        )

    @property
    def her_id(self) -> str:
        return self.identity.her_id

    def pack(self, message: Message, receiver: str) -> Packed:
        """Sign (MsgHead), seal for ``receiver`` and address an envelope named by the MsgId."""
        if isinstance(message, MsgHead):
            xml = self._signer.sign(message.to_xml())
            message_id, subject = message.msg_id, message.msg_type or ""
        elif isinstance(message, AppRec):
            xml = message.to_xml()
            message_id, subject = message.id, APPREC_SUBJECT
            if not self.seal:
                raise InvalidCertificateError(
                    "an AppRec can only be sent sealed: its CMS signature is its only proof",
                    reason="unsealed-apprec",
                    hint="use a channel with seal=True",
                )
        else:  # pragma: no cover - Message has exactly these two roots
            raise TypeError(f"cannot send a {type(message).__name__}")
        payload, content_type = xml, XML_CONTENT_TYPE
        if self.seal:
            payload = self._sealer.seal(xml, self.encryption_certificate(receiver))
            content_type = CMS_CONTENT_TYPE
        envelope = Envelope(
            payload=payload,
            sender=self.her_id,
            receiver=receiver,
            content_type=content_type,
            message_id=message_id,
            subject=subject,
        )
        return Packed(xml, envelope)

    def encryption_certificate(self, her_id: str) -> x509.Certificate:
        """The receiver's current encryption certificate from the resolver."""
        found = self.resolver.certificates(her_id, KeyPurpose.ENCRYPTION)
        if not found:
            raise InvalidCertificateError(
                f"no encryption certificate is registered for HER-id {her_id}",
                reason="unknown-receiver",
                hint="register the receiver's certificates in the resolver",
            )
        return found[0]

    def unpack(self, envelope: Envelope) -> Unpacked:
        """Open (when sealed) and verify; the signer must be ``envelope.sender``.

        When the signer is not (or no longer) the certificate the resolver knows for the sender,
        the register may be what is out of date (the sender changed certificates): a resolver
        that can `refresh` is asked to, and the envelope is read once more before it is refused
        (HITS 1216 §2.1.4). At most once per `REFRESH_INTERVAL`, so forged envelopes cannot
        make the register be fetched again and again.

        Raises a `TransportSecurityError` (its ``code`` is the transport error code) or a
        `ParseError` when sealed content is not XML (AppRec T01); unsealed content that is not
        XML proves no sender and is refused (`SpoofingError`, unsigned-document).
        """
        try:
            return self._unpack(envelope)
        except TransportSecurityError as exc:
            if exc.reason not in _STALE_REGISTER or not self._may_refresh():
                raise
            log.info("%s from %s: %s; reading the certificates again", envelope.message_id,
                     envelope.sender, exc.reason)  # fmt: skip
        return self._unpack(envelope)

    def reseal(self, envelope: Envelope, xml: bytes) -> bytes | None:
        """The payload of ``envelope`` (what was sent: ``xml`` sealed) sealed again for its
        receiver's current encryption certificate, after reading the register again; None when
        that is the certificate it was sealed for, or it was not sealed: sealing again would not
        mend a refusal. Raises `RefreshPending` while the register was read too recently to read
        it again (`REFRESH_INTERVAL`): ask again later."""
        if not envelope.sealed:
            return None
        if isinstance(self.resolver, Refreshable) and not self._may_refresh():
            raise RefreshPending(envelope.receiver)
        current = self.encryption_certificate(envelope.receiver)
        if sealed_for(envelope.payload, current):
            return None
        return self._sealer.seal(xml, current)

    def _may_refresh(self) -> bool:
        """Refresh the resolver (when it can) unless it was refreshed less than
        `REFRESH_INTERVAL` ago; whether it was."""
        if not isinstance(self.resolver, Refreshable):
            return False
        now = time.monotonic()
        with self._refresh_lock:
            if self._refreshed is not None and now - self._refreshed < REFRESH_INTERVAL:
                return False
            self._refreshed = now
        self.resolver.refresh()
        return True

    def _unpack(self, envelope: Envelope) -> Unpacked:
        sealed = envelope.sealed
        document = envelope.payload
        if sealed:
            document = self._opener.open(envelope.payload, expected_sender=envelope.sender).content
        try:
            tree = parse_bytes(document, source=envelope.message_id)
        except ParseError as exc:
            if sealed:  # the CMS proved the sender: it gets its T01
                raise
            # Nothing proves who sent it: answering (T01) would send an AppRec wherever the
            # envelope points.
            raise SpoofingError(
                f"unsealed content from HER-id {envelope.sender} is not XML, so no signature"
                f" proves who sent it: {exc.message}",
                reason="unsigned-document",
                hint="send messages sealed (CMS), as helsenorge.no does",
            ) from exc
        if tree.getroot().tag == _MSGHEAD_TAG:
            verified = self._verifier.verify(
                document, expected_sender=envelope.sender, source=envelope.message_id
            )
            return Unpacked(verified.signed_xml, document, verified.tree, is_msghead=True)
        if not sealed:
            raise SpoofingError(
                f"unsealed {etree.QName(tree.getroot()).localname} from HER-id {envelope.sender}:"
                " nothing proves who sent it",
                reason="unsigned-document",
                hint="receipts and other documents without XML-DSig must arrive sealed (CMS)",
            )
        return Unpacked(document, document, tree, is_msghead=False)
