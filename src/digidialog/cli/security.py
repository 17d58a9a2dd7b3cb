"""`digidialog sign | verify | seal | open | dev-pki`: signed envelopes from the command line.

Keys are PEM (optionally encrypted: the password comes from the environment variable named by
``--password-env``, or is asked for on a terminal) or PKCS#12. Exit codes: 0 valid/done, 1 the
input is refused (the transport error code, the file and the reason on stderr), 2 usage errors:
bad options, unreadable files, and keys or certificates given as options that cannot do the job
(a signing certificate without nonRepudiation, an expired recipient), named by option and file
with the transport code kept. ``-o OUT`` is written all or nothing: a failed command leaves no
partial OUT, and an existing OUT untouched.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from cryptography import x509

from digidialog.errors import DigidialogError, Location, UsageError
from digidialog.files import write_atomic
from digidialog.security import (
    CertificateValidator,
    DirectoryResolver,
    InvalidCmsError,
    KeyPair,
    KeyPurpose,
    Opener,
    RevocationChecker,
    RevocationPolicy,
    Sealer,
    Signer,
    TrustStore,
    Verifier,
    load_certificates,
    load_key_pair,
)
from digidialog.security.certificates import (
    check_key_usage,
    check_rsa_key,
    check_validity,
    describe,
)
from digidialog.security.devpki import create_dev_pki
from digidialog.security.keys import password_from


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sign = subparsers.add_parser("sign", help="add an enveloped XML-DSig signature to a MsgHead")
    sign.add_argument("file", help="the MsgHead document ('-' for standard input)")
    _key_options(sign)
    sign.add_argument("-o", "--output", help="where to write the signed document (default stdout)")
    sign.set_defaults(handler=_sign)

    verify = subparsers.add_parser(
        "verify", help="verify a signed MsgHead (exit 0 valid, 1 invalid, 2 usage error)"
    )
    verify.add_argument("file", help="the signed document ('-' for standard input)")
    trust = verify.add_mutually_exclusive_group(required=True)
    trust.add_argument("--trust", metavar="CA.pem", help="trusted CA certificate(s), PEM")
    trust.add_argument("--cert", metavar="SENDER.pem", help="the sender's certificate (pinned)")
    _policy_options(verify)
    verify.set_defaults(handler=_verify)

    seal = subparsers.add_parser("seal", help="sign then encrypt a payload (CMS, DER output)")
    seal.add_argument("file", help="the payload, e.g. a signed MsgHead ('-' for standard input)")
    _key_options(seal)
    seal.add_argument("--to", required=True, metavar="RECIPIENT-CERT",
                      help="the receiver's encryption certificate")  # fmt: skip
    seal.add_argument("-o", "--output", help="where to write the DER (default stdout)")
    seal.set_defaults(handler=_seal)

    opener = subparsers.add_parser("open", help="decrypt and verify a sealed payload")
    opener.add_argument("file", help="the sealed DER ('-' for standard input)")
    _key_options(opener)
    trust = opener.add_mutually_exclusive_group(required=True)
    trust.add_argument("--trust", metavar="CA.pem", help="trusted CA certificate(s), PEM")
    trust.add_argument("--sender-cert", metavar="CERT", help="the sender's signing certificate")
    _policy_options(opener)
    opener.add_argument("-o", "--output", help="where to write the payload (default stdout)")
    opener.set_defaults(handler=_open)

    devpki = subparsers.add_parser("dev-pki", help="write a throwaway test PKI into DIR")
    devpki.add_argument("dir", help="the folder to write (created if needed)")
    devpki.set_defaults(handler=_dev_pki)


def _key_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key", required=True, help="private key: PEM (maybe encrypted) or PKCS#12"
    )
    parser.add_argument("--cert", help="the key's certificate (not needed with PKCS#12)")
    parser.add_argument("--password-env", metavar="VAR",
                        help="environment variable holding the key password")  # fmt: skip


def _policy_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--crl", action="append", default=[], metavar="CRL",
                        help="a CRL (PEM or DER) to check revocation with; repeatable")  # fmt: skip
    parser.add_argument("--at", metavar="ISO-TIME",
                        help="verify as of this time (archived messages); default now")  # fmt: skip
    parser.add_argument("--revocation-policy", choices=[p.value for p in RevocationPolicy],
                        default=RevocationPolicy.FAIL_CLOSED.value,
                        help="what an unknown revocation status means")  # fmt: skip
    parser.add_argument("--sender", metavar="HER-ID",
                        help="the expected sender's HER-id (needs --resolver)")  # fmt: skip
    parser.add_argument("--resolver", metavar="DIR",
                        help="folder of <her-id>.signing.pem, <her-id>.encryption.pem")  # fmt: skip


STDIN = "-"


def _name(path: str) -> str:
    """How errors name an input: its path, or ``<stdin>`` for ``-``."""
    return "<stdin>" if path == STDIN else path


def _read(path: str, *, what: str = "input") -> bytes:
    """The bytes of ``path`` (``-``: standard input); unreadable paths are usage errors (exit 2)."""
    if path == STDIN:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError(
                "standard input (-) is a terminal, not a file",
                hint="pipe the file in (digidialog ... - < FILE) or give its path",
            )
        return sys.stdin.buffer.read()
    if not path:
        raise UsageError(f"the {what} path is empty", hint="give a file name")
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(
            f"cannot read {what} {path}: {exc.strerror or exc}", location=Location(path)
        ) from exc


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` all or nothing: a temporary file beside it, renamed over it.

    A failure (disk full, no such folder, Ctrl-C) leaves no partial ``path`` behind, and an
    existing ``path`` untouched. Raises `UsageError` (exit 2) naming ``path``.
    """
    if not path:
        raise UsageError("the output path (-o) is empty", hint="give a file name, or - for stdout")
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory", location=Location(path))
    try:
        mode = target.stat().st_mode & 0o7777 if target.exists() else _default_mode()
        write_atomic(target, data, mode=mode)
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror or exc}", location=Location(path)
        ) from exc


def _default_mode() -> int:
    """What a new file gets from `open`: 0o666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write(path: str | None, data: bytes, *, binary: bool = False) -> None:
    """Write the result to ``path`` (atomically) or, for none or ``-``, to standard output."""
    if path is not None and path != STDIN:
        write_atomically(path, data)
        return
    if binary and sys.stdout.isatty():
        raise UsageError(
            "refusing to write binary DER to a terminal", hint="use -o OUT, or redirect stdout"
        )
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _own_certificate(args: argparse.Namespace) -> tuple[str, str]:
    """The option and file the command's own certificate came from, for error messages."""
    return ("--cert", args.cert) if args.cert else ("--key", args.key)


def _refused_credential(exc: DigidialogError, option: str, path: str) -> UsageError:
    """A certificate or key the caller gave that cannot do the job: a usage error (exit 2) that
    names the option and file and keeps the transport code."""
    return UsageError(
        f"{option} {path}: {exc.message}", location=Location(path), hint=exc.hint, code=exc.code
    )


@contextlib.contextmanager
def _blaming(option: str, path: str) -> Iterator[None]:
    """Turn a refusal of the certificate or key in ``path`` into `_refused_credential`."""
    try:
        yield
    except UsageError:
        raise
    except DigidialogError as exc:
        raise _refused_credential(exc, option, path) from exc


@contextlib.contextmanager
def _about(path: str) -> Iterator[None]:
    """Errors about the input that do not say where they come from get its name."""
    try:
        yield
    except DigidialogError as exc:
        if not isinstance(exc, UsageError) and not exc.location.source:
            exc.location = Location(_name(path))
        raise


def _key_pair(args: argparse.Namespace) -> KeyPair:
    password: bytes | None = None
    if args.password_env:
        value = os.environ.get(args.password_env)
        if value is None:
            raise UsageError(
                f"--password-env {args.password_env}: the environment variable "
                f"{args.password_env} is not set",
                hint=f"export it with the password for {args.key}",
            )
        password = value.encode("utf-8")
    try:
        return load_key_pair(args.key, args.cert, password)
    except UsageError as exc:
        # Ask on a terminal only when a password is what is missing (not for a missing file).
        wants_password = "password" in exc.message.lower()
        if password is not None or not wants_password or not _interactive():
            raise
        return load_key_pair(args.key, args.cert, password_from(None, prompt_for=args.key))


def _interactive() -> bool:
    """Whether a person can be asked (standard input is a terminal, and not the message)."""
    return sys.stdin is not None and sys.stdin.isatty()


def _warn_if_outside_validity(cert: x509.Certificate, option: str, path: str) -> None:
    """Signing with an expired certificate works, but every receiver will refuse it: say so."""
    try:
        check_validity(cert, dt.datetime.now(dt.UTC))
    except DigidialogError as exc:
        print(f"warning: {option} {path}: {exc.message} ({exc.code}: receivers will refuse it)",
              file=sys.stderr)  # fmt: skip


def _at(args: argparse.Namespace) -> dt.datetime | None:
    if args.at is None:
        return None
    try:
        when = dt.datetime.fromisoformat(args.at.strip())
    except ValueError as exc:
        raise UsageError(
            f"--at {args.at!r} is not an ISO 8601 time", hint="e.g. 2026-05-01T12:00Z"
        ) from exc
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _crls(paths: list[str]) -> list[x509.CertificateRevocationList]:
    """The CRLs named by ``--crl`` (PEM or DER), each read once; bad files are usage errors."""
    crls: list[x509.CertificateRevocationList] = []
    for path in paths:
        data = _read(path, what="CRL")
        try:
            if b"-----BEGIN" in data:
                crls.append(x509.load_pem_x509_crl(data))
            else:
                crls.append(x509.load_der_x509_crl(data))
        except ValueError as exc:
            raise UsageError(
                f"--crl {path} holds no readable certificate revocation list",
                location=Location(path),
                hint="give a CRL in PEM or DER, such as the ca.crl `digidialog dev-pki` writes",
            ) from exc
    return crls


def _validator(
    args: argparse.Namespace, trust: str | None, pinned: str | None
) -> CertificateValidator:
    if args.crl and trust is None:
        raise UsageError("--crl needs --trust (the CRL's issuer must be a trusted CA)")
    if trust is not None and not trust:
        raise UsageError("the --trust path is empty", hint="give the CA certificate file")
    if pinned is not None and not pinned:
        raise UsageError("the pinned certificate path is empty", hint="give the sender's PEM")
    revocation = RevocationChecker(_crls(args.crl), policy=RevocationPolicy(args.revocation_policy))
    return CertificateValidator(
        TrustStore.from_pem(trust) if trust else None,
        pinned=load_certificates(pinned) if pinned else (),
        revocation=revocation,
    )


def _resolver(args: argparse.Namespace) -> DirectoryResolver | None:
    if args.sender is not None and not args.resolver:
        raise UsageError("--sender needs --resolver DIR to know the sender's certificates")
    if args.resolver is None:
        return None
    if not os.path.isdir(args.resolver):
        raise UsageError(
            f"--resolver {args.resolver}: no such directory",
            location=Location(args.resolver),
            hint="give the folder that holds <her-id>.signing.pem and <her-id>.encryption.pem",
        )
    return DirectoryResolver(args.resolver)


def _sign(args: argparse.Namespace) -> int:
    pair = _key_pair(args)
    option, cert_path = _own_certificate(args)
    with _blaming(option, cert_path):
        signer = Signer(pair.key, pair.certificate)
    _warn_if_outside_validity(pair.certificate, option, cert_path)
    data = _read(args.file)
    with _about(args.file):
        signed = signer.sign(data, source=_name(args.file))
    _write(args.output, signed)
    return 0


def _verify(args: argparse.Namespace) -> int:
    verifier = Verifier(_validator(args, args.trust, args.cert), resolver=_resolver(args))
    at = _at(args)
    data = _read(args.file)
    with _about(args.file):
        result = verifier.verify(
            data, expected_sender=args.sender, verification_time=at, source=_name(args.file)
        )
    print(f"valid: signed by {describe(result.signer)}")
    print(f"revocation: {result.revocation}")
    return 0


def _seal(args: argparse.Namespace) -> int:
    pair = _key_pair(args)
    option, cert_path = _own_certificate(args)
    with _blaming(option, cert_path):
        sealer = Sealer(pair.key, pair.certificate)
    _warn_if_outside_validity(pair.certificate, option, cert_path)
    recipient = load_certificates(args.to)[0]
    with _blaming("--to", args.to):
        check_rsa_key(recipient)
        check_key_usage(recipient, KeyPurpose.ENCRYPTION)
        check_validity(recipient, dt.datetime.now(dt.UTC))
    data = _read(args.file)
    if not data.strip():
        raise InvalidCmsError(
            "the payload is empty: nothing to seal",
            reason="empty-payload",
            location=Location(_name(args.file)),
            hint="seal the signed MsgHead (digidialog sign FILE ... -o SIGNED, then seal SIGNED)",
        )
    with _about(args.file):
        sealed = sealer.seal(data, recipient)
    _write(args.output, sealed, binary=True)
    return 0


def _open(args: argparse.Namespace) -> int:
    pair = _key_pair(args)
    option, cert_path = _own_certificate(args)
    validator = _validator(args, args.trust, args.sender_cert)
    with _blaming(option, cert_path):
        opener = Opener(pair.key, pair.certificate, validator, resolver=_resolver(args))
    at = _at(args)
    data = _read(args.file)
    with _about(args.file):
        opened = opener.open(data, expected_sender=args.sender, verification_time=at)
    _write(args.output, opened.content)
    print(f"opened: signed by {describe(opened.signer)}; revocation: "
          f"{opened.certificate_check.revocation}", file=sys.stderr)  # fmt: skip
    return 0


def _dev_pki(args: argparse.Namespace) -> int:
    if not args.dir:
        raise UsageError("the dev-pki folder name is empty", hint="give a folder, e.g. dev-pki")
    if os.path.exists(args.dir) and not os.path.isdir(args.dir):
        raise UsageError(
            f"cannot write the dev PKI into {args.dir}: it is a file, not a folder",
            location=Location(args.dir),
        )
    try:
        pki = create_dev_pki(args.dir)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename not in (None, args.dir) else ""
        raise UsageError(
            f"cannot write the dev PKI into {args.dir}: {where}{exc.strerror or exc}",
            location=Location(args.dir),
        ) from exc
    print(f"dev PKI written to {pki.directory} (throwaway: never use for real messages)")
    for party in (pki.helsenorge, pki.gp_office):
        print(f"  {party.name}: HER-id {party.her_id}, signing {party.signing.cert_path.name}, "
              f"encryption {party.encryption.cert_path.name}")  # fmt: skip
    print(f"  CA {pki.ca.cert_path.name}, CRL {pki.crl_path.name}, manifest manifest.json")
    return 0
