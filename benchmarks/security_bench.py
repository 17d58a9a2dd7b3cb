"""Speed of signed envelopes, as ratios to one bare RSA-2048 PKCS#1 v1.5 SHA-256 signature.

    .venv/bin/python benchmarks/security_bench.py [--rounds 7] [--number 40]

Measures, in one run: XML-DSig sign and verify (certificate chain, key usage and validity checks
included) of a ~5 KB and a ~200 KB MsgHead, and CMS seal and open of the signed 5 KB message. The
objects (`Signer`, `Verifier`, `Sealer`, `Opener`) are built once, as a service would; keys, the
trust store and the resolver are loaded before timing. "verify cold" builds a fresh validator per
message, so the chain signatures are checked every time instead of once per certificate.

Timing: each operation runs ``number`` times per round, rounds interleave the operations (so a
busy machine slows all of them alike), and the best round counts (the usual microbenchmark rule:
noise only ever adds time). Targets for the 5 KB message: sign <= 1.5, verify <= 0.6,
seal+open <= 2.5.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner, XMLVerifier, methods

from digidialog.security import CertificateValidator, Opener, Sealer, Signer, Verifier
from digidialog.security.devpki import create_dev_pki

MSGHEAD = "http://www.kith.no/xmlstds/msghead/2006-05-24"
TARGETS = {"sign 5KB": 1.5, "verify 5KB": 0.6, "seal+open 5KB": 2.5}


def message(size: int) -> bytes:
    """A MsgHead of about ``size`` bytes: header plus a dialog note padded with text lines."""
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<MsgHead xmlns="{MSGHEAD}">\n  <MsgInfo>\n'
        '    <Type V="DIALOG_INNBYGGER_EKONTAKT" DN="Henvendelse fra innbygger"/>\n'
        "    <MIGversion>v1.2 2006-05-24</MIGversion>\n    <GenDate>2026-11-30T10:00:00</GenDate>\n"
        "    <MsgId>6d5e4a2b-0c1f-4f5e-9a38-3f2f1c0d9e11</MsgId>\n  </MsgInfo>\n  <Document>\n"
        '    <RefDoc>\n      <MsgType V="XML" DN="XML-instans"/>\n      <Content>\n'
        '        <d:Dialogmelding xmlns:d="http://www.kith.no/xmlstds/dialog/2013-01-23">\n'
    )
    tail = (
        "        </d:Dialogmelding>\n      </Content>\n    </RefDoc>\n  </Document>\n</MsgHead>\n"
    )
    line = (
        "          <d:Notat><d:TekstNotatInnhold>Pasienten spør om time neste uke, helst "
        "før kl. 10 — gjelder oppfølging.</d:TekstNotatInnhold></d:Notat>\n"
    )
    filler = max(0, (size - len(head) - len(tail)) // len(line.encode()))
    return (head + line * filler + tail).encode()


def measure(
    ops: dict[str, Callable[[], object]], rounds: int, number: int
) -> dict[str, list[float]]:
    """Per-call seconds for each op, one entry per round, rounds interleaved."""
    times: dict[str, list[float]] = {name: [] for name in ops}
    for fn in ops.values():  # warm up: caches filled, code paths loaded
        fn()
    for _ in range(rounds):
        for name, fn in ops.items():
            start = time.perf_counter()
            for _ in range(number):
                fn()
            times[name].append((time.perf_counter() - start) / number)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=40, help="calls per round (200 KB: /10)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        pki = create_dev_pki(Path(folder))
        hn, gp = pki.helsenorge, pki.gp_office
        trust = pki.trust_store()
        resolver = pki.resolver()
        signer = Signer(hn.signing.key, hn.signing.certificate)
        verifier = Verifier(CertificateValidator(trust), resolver=resolver)
        sealer = Sealer(hn.signing.key, hn.signing.certificate)
        opener = Opener(gp.encryption.key, gp.encryption.certificate,
                        CertificateValidator(trust), resolver=resolver)  # fmt: skip
        recipient = gp.encryption.certificate
        small, large = message(5 * 1024), message(200 * 1024)
        signed_small, signed_large = signer.sign(small), signer.sign(large)
        sealed = sealer.seal(signed_small, recipient)
        key = hn.signing.key
        sender = hn.her_id

        def verify_cold() -> object:
            fresh = Verifier(CertificateValidator(trust), resolver=resolver)
            return fresh.verify(signed_small, expected_sender=sender)

        xml_signer = XMLSigner(
            method=methods.enveloped,
            signature_algorithm=SignatureMethod.RSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
        )
        ca_pem = pki.ca.cert_path.read_bytes().decode()

        def signxml_sign() -> object:
            root = etree.fromstring(small)
            return etree.tostring(xml_signer.sign(root, key=key, cert=[hn.signing.certificate]))

        def signxml_verify() -> object:
            return XMLVerifier().verify(signed_small, ca_pem_file=str(pki.ca.cert_path))

        del ca_pem
        fast = {
            "RSA-2048 sign (baseline)": lambda: key.sign(
                small, padding.PKCS1v15(), hashes.SHA256()
            ),
            "sign 5KB": lambda: signer.sign(small),
            "verify 5KB": lambda: verifier.verify(signed_small, expected_sender=sender),
            "verify 5KB cold": verify_cold,
            "seal 5KB": lambda: sealer.seal(signed_small, recipient),
            "open 5KB": lambda: opener.open(sealed, expected_sender=sender),
            "seal+open 5KB": lambda: opener.open(sealer.seal(signed_small, recipient)),
            "signxml sign 5KB (reference)": signxml_sign,
            "signxml verify 5KB (reference)": signxml_verify,
        }
        slow = {
            "sign 200KB": lambda: signer.sign(large),
            "verify 200KB": lambda: verifier.verify(signed_large, expected_sender=sender),
        }
        times = measure(fast, args.rounds, args.number)
        times.update(measure(slow, args.rounds, max(1, args.number // 10)))

    base = min(times["RSA-2048 sign (baseline)"])
    print(f"message sizes: {len(small)} and {len(large)} bytes (signed: {len(signed_small)}, "
          f"{len(signed_large)}); baseline RSA-2048 sign {base * 1e6:.0f} µs")  # fmt: skip
    print(f"{'operation':34} {'best µs':>9} {'median µs':>10} {'ratio':>6}  target")
    for name, samples in times.items():
        best, median = min(samples), statistics.median(samples)
        target = TARGETS.get(name)
        verdict = (
            "" if target is None else f"<= {target}  {'met' if best / base <= target else 'MISSED'}"
        )
        print(f"{name:34} {best * 1e6:9.0f} {median * 1e6:10.0f} {best / base:6.2f}  {verdict}")


if __name__ == "__main__":
    main()
