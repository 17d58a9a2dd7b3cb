"""`digidialog sign | verify | seal | open | dev-pki`: signed envelopes from the command line.

Keys are PEM (optionally encrypted: the password comes from the environment variable named by
``--password-env``, or is asked for on a terminal) or PKCS#12. Exit codes: 0 valid/done, 1 the
input is refused (the transport error code and the reason on stderr), 2 usage errors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from digidialog.errors import UsageError
from digidialog.security import (
    CertificateValidator,
    DirectoryResolver,
    KeyPair,
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
from digidialog.security.certificates import describe
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


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _write(path: str | None, data: bytes) -> None:
    if path is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _key_pair(args: argparse.Namespace) -> KeyPair:
    password = password_from(args.password_env) if args.password_env else None
    try:
        return load_key_pair(args.key, args.cert, password)
    except UsageError:
        if password is not None or not sys.stdin.isatty():
            raise
        return load_key_pair(args.key, args.cert, password_from(None, prompt_for=args.key))


def _at(args: argparse.Namespace) -> dt.datetime | None:
    if not args.at:
        return None
    try:
        when = dt.datetime.fromisoformat(args.at)
    except ValueError as exc:
        raise UsageError(
            f"--at {args.at!r} is not an ISO 8601 time", hint="e.g. 2026-05-01T12:00Z"
        ) from exc
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _validator(
    args: argparse.Namespace, trust: str | None, pinned: str | None
) -> CertificateValidator:
    if args.crl and trust is None:
        raise UsageError("--crl needs --trust (the CRL's issuer must be a trusted CA)")
    revocation = RevocationChecker.from_files(
        args.crl, policy=RevocationPolicy(args.revocation_policy)
    )
    return CertificateValidator(
        TrustStore.from_pem(trust) if trust else None,
        pinned=load_certificates(pinned) if pinned else (),
        revocation=revocation,
    )


def _resolver(args: argparse.Namespace) -> DirectoryResolver | None:
    if args.sender and not args.resolver:
        raise UsageError("--sender needs --resolver DIR to know the sender's certificates")
    return DirectoryResolver(args.resolver) if args.resolver else None


def _sign(args: argparse.Namespace) -> int:
    pair = _key_pair(args)
    _write(args.output, Signer(pair.key, pair.certificate).sign(_read(args.file), source=args.file))
    return 0


def _verify(args: argparse.Namespace) -> int:
    verifier = Verifier(_validator(args, args.trust, args.cert), resolver=_resolver(args))
    result = verifier.verify(
        _read(args.file), expected_sender=args.sender, verification_time=_at(args), source=args.file
    )
    print(f"valid: signed by {describe(result.signer)}")
    print(f"revocation: {result.revocation}")
    return 0


def _seal(args: argparse.Namespace) -> int:
    pair = _key_pair(args)
    recipient = load_certificates(args.to)[0]
    _write(args.output, Sealer(pair.key, pair.certificate).seal(_read(args.file), recipient))
    return 0


def _open(args: argparse.Namespace) -> int:
    pair = _key_pair(args)
    opener = Opener(
        pair.key,
        pair.certificate,
        _validator(args, args.trust, args.sender_cert),
        resolver=_resolver(args),
    )
    opened = opener.open(_read(args.file), expected_sender=args.sender, verification_time=_at(args))
    print(f"opened: signed by {describe(opened.signer)}; revocation: "
          f"{opened.certificate_check.revocation}", file=sys.stderr)  # fmt: skip
    _write(args.output, opened.content)
    return 0


def _dev_pki(args: argparse.Namespace) -> int:
    pki = create_dev_pki(args.dir)
    print(f"dev PKI written to {pki.directory} (throwaway: never use for real messages)")
    for party in (pki.helsenorge, pki.gp_office):
        print(f"  {party.name}: HER-id {party.her_id}, signing {party.signing.cert_path.name}, "
              f"encryption {party.encryption.cert_path.name}")  # fmt: skip
    print(f"  CA {pki.ca.cert_path.name}, CRL {pki.crl_path.name}, manifest manifest.json")
    return 0
