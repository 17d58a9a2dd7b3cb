"""`digidialog sign | verify | seal | open | dev-pki`: signed envelopes from the command line.

Keys are PEM (optionally encrypted: the password comes from the environment variable named by
``--password-env``, or is asked for on a terminal) or PKCS#12. Exit codes: 0 valid/done, 1 the
input is refused (the transport error code, the file and the reason on stderr), 2 usage errors:
bad options, unreadable files, and keys or certificates given as options that cannot do the job
(a signing certificate without nonRepudiation, an expired recipient), named by option and file
with the transport code kept. ``-o OUT`` is written all or nothing: a failed command leaves no
partial OUT, and an existing OUT untouched; a symlink writes the file it points to, and a device
or FIFO (``-o /dev/null``) is written into, never replaced. OUT may not be one of the command's
inputs (FILE, ``--key``, ``--cert``, ``--to``, ``--trust``, ``--crl``, ``--sender-cert``, a file
in ``--resolver``): that is refused (exit 2) before anything is read. Inputs are read up to a
limit (50 MB: `ParseLimits.max_bytes` for XML, the HTTP transport's ``MAX_BODY`` for sealed DER);
a larger one is refused (exit 1) unread. ``--policy OID`` (repeatable; ``helsenorge-test`` and
``helsenorge-production`` name HITS 1216's enterprise-certificate policies) has verify and open
refuse a sender certificate without one of the policies (exit 1), and seal a recipient certificate
(``--to``, exit 2); an OID that is not one is a usage error (exit 2).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import stat
import sys
from collections.abc import Iterator

from cryptography import x509

from digidialog.errors import DigidialogError, Location, UnsafeXMLError, UsageError
from digidialog.files import (
    InputTooLargeError,
    display_name,
    is_terminal,
    read_bounded,
    read_stream_bounded,
    write_output,
)
from digidialog.security import (
    HELSENORGE_PRODUCTION_POLICIES,
    HELSENORGE_TEST_POLICIES,
    CertificateValidator,
    DirectoryResolver,
    InvalidCmsError,
    KeyPair,
    KeyPurpose,
    Opener,
    RevocationChecker,
    RevocationPolicy,
    RevocationState,
    Sealer,
    Signer,
    TrustStore,
    Verifier,
    load_certificates,
    load_key_pair,
)
from digidialog.security.certificates import (
    check_certificate_policy,
    check_key_usage,
    check_rsa_key,
    check_validity,
    describe,
    policy_set,
)
from digidialog.security.devpki import create_dev_pki
from digidialog.security.keys import password_from
from digidialog.security.resolver import is_her_id
from digidialog.security.revocation import ANSWER_ERRORS, load_crl
from digidialog.transport.http import MAX_BODY
from digidialog.xml.parser import DEFAULT_LIMITS


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
    _policy_option(seal, "the recipient's certificate (--to)")
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
    devpki.add_argument("--force", action="store_true",
                        help="replace a dev PKI already in DIR (its CA key too)")  # fmt: skip
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
                        help="the expected sender's HER-id: digits (needs --resolver)")  # fmt: skip
    parser.add_argument("--resolver", metavar="DIR",
                        help="folder of <her-id>.signing.pem, <her-id>.encryption.pem")  # fmt: skip
    _policy_option(parser, "the sender's signing certificate")


POLICY_NAMES: dict[str, frozenset[str]] = {
    "helsenorge-test": HELSENORGE_TEST_POLICIES,
    "helsenorge-production": HELSENORGE_PRODUCTION_POLICIES,
}
"""``--policy`` shorthands: HITS 1216's enterprise-certificate policies."""


def _policy_option(parser: argparse.ArgumentParser, whose: str) -> None:
    parser.add_argument(
        "--policy", action="append", default=[], metavar="OID",
        help=f"require {whose} to name this certificate policy (enterprise certificates); "
        "repeatable, any one suffices; helsenorge-test (2.16.578.1.26.1.0.3.2) and "
        "helsenorge-production (2.16.578.1.26.1.3.2) name HITS 1216's",
    )  # fmt: skip


STDIN = "-"

XML_LIMIT = DEFAULT_LIMITS.max_bytes
"""Documents to sign or verify larger than this are refused unread (the parser's own cap)."""
DER_LIMIT = MAX_BODY
"""Sealed messages (and payloads to seal) larger than this are refused unread: the most the HTTP
transport carries."""


def _name(path: str) -> str:
    """How errors name an input: its path (made printable), or ``<stdin>`` for ``-``."""
    return "<stdin>" if path == STDIN else display_name(path)


def _read(path: str, *, what: str = "input", limit: int = XML_LIMIT) -> bytes:
    """The bytes of ``path`` (``-``: standard input), at most ``limit`` of them.

    Unreadable paths are usage errors (exit 2); a larger input raises `InputTooLargeError` for
    the caller to refuse in its own terms (exit 1).
    """
    if path == STDIN:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError(
                "standard input (-) is a terminal, not a file",
                hint="pipe the file in (digidialog ... - < FILE) or give its path",
            )
        return read_stream_bounded(sys.stdin.buffer, limit)
    if not path:
        raise UsageError(f"the {what} path is empty", hint="give a file name")
    try:
        return read_bounded(path, limit)
    except OSError as exc:
        raise UsageError(
            f"cannot read {what} {_name(path)}: {exc.strerror or exc}",
            location=Location(_name(path)),
        ) from exc


def _read_xml(path: str) -> bytes:
    """FILE for sign and verify: over the parser's limit is unsafe XML (exit 1), as the parser
    itself would say, but without reading it whole first."""
    try:
        return _read(path)
    except InputTooLargeError as exc:
        raise UnsafeXMLError(
            str(exc),
            location=Location(_name(path)),
            hint="digidialog reads messages of up to ParseLimits.max_bytes",
        ) from exc


def _read_der(path: str, *, what: str) -> bytes:
    """FILE for seal and open: over `DER_LIMIT` is refused as the transport would (exit 1)."""
    try:
        return _read(path, limit=DER_LIMIT)
    except InputTooLargeError as exc:
        raise InvalidCmsError(
            str(exc),
            reason="too-large",
            location=Location(_name(path)),
            hint=f"the transport carries {what} of up to {DER_LIMIT} bytes",
        ) from exc


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` (see `digidialog.files.write_output`): all or nothing for a
    file, straight into a device or FIFO, through a symlink to its target.

    A failure (disk full, no such folder, Ctrl-C) leaves no partial ``path`` behind, and an
    existing ``path`` untouched. Raises `UsageError` (exit 2) naming ``path``.
    """
    if not path:
        raise UsageError("the output path (-o) is empty", hint="give a file name, or - for stdout")
    try:
        write_output(path, data)
    except IsADirectoryError as exc:
        raise UsageError(
            f"cannot write {_name(path)}: it is a directory", location=Location(_name(path))
        ) from exc
    except OSError as exc:
        raise UsageError(
            f"cannot write {_name(path)}: {exc.strerror or exc}", location=Location(_name(path))
        ) from exc


def _write(path: str | None, data: bytes, *, binary: bool = False) -> None:
    """Write the result to ``path`` (atomically) or, for none or ``-``, to standard output."""
    if path is not None and path != STDIN:
        if binary and is_terminal(path):
            raise UsageError(
                f"refusing to write binary DER to the terminal {_name(path)}",
                hint="give a file to -o",
            )
        write_atomically(path, data)
        return
    if binary and sys.stdout.isatty():
        raise UsageError(
            "refusing to write binary DER to a terminal", hint="use -o OUT, or redirect stdout"
        )
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _inputs(args: argparse.Namespace) -> list[tuple[str, str]]:
    """Every file the command reads, as (option, path): FILE first."""
    named: list[tuple[str, str | None]] = [("FILE", args.file)]
    for option in ("key", "cert", "to", "trust", "sender_cert"):
        named.append((f"--{option.replace('_', '-')}", getattr(args, option, None)))
    named += [("--crl", crl) for crl in getattr(args, "crl", None) or ()]
    return [(option, path) for option, path in named if path]


def _refuse_overwriting_inputs(args: argparse.Namespace) -> None:
    """``-o OUT`` must not be a file the command reads (through links too): writing the signed
    document over the key, or over FILE itself, would destroy it. Refused before any work."""
    out = args.output
    if not out or out == STDIN:
        return
    try:
        target = os.stat(out)
    except OSError:
        return  # a new file: it cannot be an input (a missing folder is reported on writing)
    if not stat.S_ISREG(target.st_mode):
        return  # a device or FIFO is written into, never replaced
    for option, path in _inputs(args):
        if _same_file(target, path):
            raise UsageError(
                f"-o {_name(out)} is the same file as {option} {_name(path)}: refusing to "
                "overwrite an input",
                location=Location(_name(out)),
                hint="write to another file, then rename it if you mean to replace the input",
            )
    resolver = getattr(args, "resolver", None)
    if resolver and os.path.isdir(resolver):
        real, folder = os.path.realpath(out), os.path.realpath(resolver)
        if os.path.commonpath([real, folder]) == folder:
            raise UsageError(
                f"-o {_name(out)} is inside --resolver {_name(resolver)}: refusing to write "
                "into the certificate folder the command reads",
                location=Location(_name(out)),
                hint="write to a file outside the resolver folder",
            )


def _same_file(target: os.stat_result, path: str) -> bool:
    """Whether ``path`` (``-``: standard input, when it is a file) is the file ``target``."""
    try:
        if path == STDIN:
            if sys.stdin is None:
                return False
            info = os.fstat(sys.stdin.fileno())
        else:
            info = os.stat(path)
    except (OSError, ValueError, AttributeError):  # unreadable inputs are reported on reading
        return False
    return (info.st_dev, info.st_ino) == (target.st_dev, target.st_ino)


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
        if password == b"" and wants_password:
            # A PKCS#12 file may have an empty password; any other refusal is the empty value's.
            raise UsageError(
                f"--password-env {args.password_env}: the environment variable "
                f"{args.password_env} is set but empty, and {args.key} needs its password",
                location=Location(args.key),
                hint=f"export {args.password_env} with the password for {args.key}",
            ) from exc
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
        try:
            data = _read(path, what="CRL", limit=DER_LIMIT)
        except InputTooLargeError as exc:
            raise UsageError(f"--crl {_name(path)}: {exc}", location=Location(_name(path))) from exc
        try:
            crls.append(load_crl(data))
        except ANSWER_ERRORS as exc:
            raise UsageError(
                f"--crl {path} holds no readable certificate revocation list",
                location=Location(path),
                hint="give a CRL in PEM or DER, such as the ca.crl `digidialog dev-pki` writes",
            ) from exc
    return crls


def _policies(args: argparse.Namespace) -> frozenset[str] | None:
    """The policy OIDs ``--policy`` names (shorthands expanded), or None when it is not given."""
    if not args.policy:
        return None
    found: set[str] = set()
    for value in args.policy:
        named = POLICY_NAMES.get(value.strip().lower())
        if named is not None:
            found |= named
            continue
        try:
            found |= policy_set([value])
        except UsageError as exc:
            raise UsageError(
                f"--policy {value!r} is not a certificate policy OID",
                hint="give dotted decimal, e.g. --policy 2.16.578.1.26.1.3.2, or one of "
                + ", ".join(POLICY_NAMES),
            ) from exc
    return frozenset(found)


def _validator(
    args: argparse.Namespace, trust: str | None, pinned: str | None
) -> CertificateValidator:
    if args.crl and trust is None:
        raise UsageError("--crl needs --trust (the CRL's issuer must be a trusted CA)")
    if trust is not None and not trust:
        raise UsageError("the --trust path is empty", hint="give the CA certificate file")
    if pinned is not None and not pinned:
        raise UsageError("the pinned certificate path is empty", hint="give the sender's PEM")
    policies = _policies(args)
    revocation = RevocationChecker(_crls(args.crl), policy=RevocationPolicy(args.revocation_policy))
    return CertificateValidator(
        TrustStore.from_pem(trust) if trust else None,
        pinned=load_certificates(pinned) if pinned else (),
        revocation=revocation,
        policies=policies,
    )


def _resolver(args: argparse.Namespace) -> DirectoryResolver | None:
    if args.sender is not None and not is_her_id(args.sender):
        raise UsageError(
            f"--sender {args.sender!r} is not a HER-id",
            hint="a HER-id is digits only, e.g. --sender 1234",
        )
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
    _refuse_overwriting_inputs(args)
    pair = _key_pair(args)
    option, cert_path = _own_certificate(args)
    with _blaming(option, cert_path):
        signer = Signer(pair.key, pair.certificate)
    _warn_if_outside_validity(pair.certificate, option, cert_path)
    data = _read_xml(args.file)
    with _about(args.file):
        signed = signer.sign(data, source=_name(args.file))
    _write(args.output, signed)
    return 0


def _verify(args: argparse.Namespace) -> int:
    verifier = Verifier(_validator(args, args.trust, args.cert), resolver=_resolver(args))
    at = _at(args)
    data = _read_xml(args.file)
    with _about(args.file):
        result = verifier.verify(
            data, expected_sender=args.sender, verification_time=at, source=_name(args.file)
        )
    print(f"valid: signed by {describe(result.signer)}")
    print(f"revocation: {result.revocation}")
    if result.revocation.state is RevocationState.NOT_CHECKED:  # valid, but say it where CI looks
        print(f"digidialog verify: warning: revocation {result.revocation}", file=sys.stderr)
    return 0


def _seal(args: argparse.Namespace) -> int:
    _refuse_overwriting_inputs(args)
    policies = _policies(args)
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
        if policies is not None:
            check_certificate_policy(recipient, policies)
    data = _read_der(args.file, what="payloads")
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
    _refuse_overwriting_inputs(args)
    pair = _key_pair(args)
    option, cert_path = _own_certificate(args)
    validator = _validator(args, args.trust, args.sender_cert)
    with _blaming(option, cert_path):
        opener = Opener(pair.key, pair.certificate, validator, resolver=_resolver(args))
    at = _at(args)
    data = _read_der(args.file, what="sealed messages")
    with _about(args.file):
        opened = opener.open(data, expected_sender=args.sender, verification_time=at)
    _write(args.output, opened.content)
    print(f"opened: signed by {describe(opened.signer)}; revocation: "
          f"{opened.certificate_check.revocation}", file=sys.stderr)  # fmt: skip
    return 0


def _dev_pki(args: argparse.Namespace) -> int:
    if not args.dir:
        raise UsageError("the dev-pki folder name is empty", hint="give a folder, e.g. dev-pki")
    where = display_name(args.dir)
    if os.path.exists(args.dir) and not os.path.isdir(args.dir):
        raise UsageError(
            f"cannot write the dev PKI into {where}: it is a file, not a folder",
            location=Location(where),
        )
    try:
        pki = create_dev_pki(args.dir, force=args.force)
    except OSError as exc:
        named = f"{display_name(exc.filename)}: " if exc.filename not in (None, args.dir) else ""
        raise UsageError(
            f"cannot write the dev PKI into {where}: {named}{exc.strerror or exc}",
            location=Location(where),
        ) from exc
    print(f"dev PKI written to {display_name(pki.directory)} (throwaway: never use for real "
          "messages)")  # fmt: skip
    for party in (pki.helsenorge, pki.gp_office):
        print(f"  {party.name}: HER-id {party.her_id}, signing {party.signing.cert_path.name}, "
              f"encryption {party.encryption.cert_path.name}")  # fmt: skip
    print(f"  CA {pki.ca.cert_path.name}, CRL {pki.crl_path.name}, manifest manifest.json")
    return 0
