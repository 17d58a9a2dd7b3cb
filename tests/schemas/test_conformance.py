"""Our schema set gives the official set's verdict: on the 69 official examples and on a generated
corpus of variants (mostly invalid) derived from them, from our seeds and from `examples/`.

Needs ../shared/reference (skipped cleanly when absent). The official verdict comes from the
`official_schema` fixture. Mutations never touch content outside our namespaces (the M1 prescription
in a renewal reply) nor add elements directly under RefDoc/Content, where our set is lax on purpose
(see schemas/README.md); both are tested on their own below.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from digidialog.xml import namespaces as ns
from digidialog.xml.parser import parse_xml
from digidialog.xml.schema import SchemaSet
from tests.conftest import EXAMPLES, OFFICIAL_XSD, official_sample_paths, required, sample_id
from tests.schemas.mutations import MUTATIONS, variants

pytestmark = pytest.mark.reference

SEEDS = Path(__file__).parent / "seeds"
RENEWED = (
    "DIALOG_INNBYGGER_RESEPTFORNYELSE/1.2/"
    "Reseptfornying_-_Svar_helsepersonell_-_Resept_er_fornyet.xml"
)


def corpus_sources() -> list[Path]:
    """Official examples, our seeds, and the project's own examples when they exist."""
    ours = sorted(EXAMPLES.rglob("*.xml")) if EXAMPLES.is_dir() else []
    return [*official_sample_paths(), *sorted(SEEDS.glob("*.xml")), *ours]


@dataclass(frozen=True)
class Verdicts:
    ours: bool
    official: bool
    kind: str
    id: str


@pytest.fixture(scope="module")
def corpus(official_schema: etree.XMLSchema) -> list[Verdicts]:
    schema_set = SchemaSet.default()
    results: list[Verdicts] = []
    for path in corpus_sources():
        for variant in variants(path):
            results.append(
                Verdicts(
                    ours=schema_set.is_valid(variant.tree),
                    official=bool(official_schema.validate(variant.tree)),
                    kind=variant.kind,
                    id=variant.id,
                )
            )
    return results


@pytest.mark.parametrize("path", official_sample_paths(), ids=sample_id)
def test_official_example_is_valid_in_our_set(path: Path, official_schema: etree.XMLSchema) -> None:
    tree = parse_xml(path)
    assert official_schema.validate(tree)
    assert SchemaSet.default().validate(tree) == []


def test_sixty_nine_official_examples(reference: Path) -> None:
    assert len(official_sample_paths()) == 69


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.xml")), ids=lambda p: p.name)
def test_seed_is_valid_in_both_sets(path: Path, official_schema: etree.XMLSchema) -> None:
    tree = parse_xml(path)
    assert official_schema.validate(tree), official_schema.error_log
    assert SchemaSet.default().validate(tree) == []


def test_every_variant_gets_the_official_verdict(corpus: list[Verdicts]) -> None:
    differing = [v for v in corpus if v.ours != v.official]
    assert not differing, "\n".join(
        f"{v.id}: ours {'valid' if v.ours else 'invalid'}, official "
        f"{'valid' if v.official else 'invalid'}"
        for v in differing[:20]
    )


def test_corpus_is_really_invalid(corpus: list[Verdicts]) -> None:
    rejected = [v for v in corpus if not v.official]
    assert len(rejected) >= 200
    by_kind = Counter(v.kind for v in rejected)
    assert set(by_kind) == set(MUTATIONS), f"kinds that never broke a message: {by_kind}"


def test_corpus_also_holds_variants_that_stay_valid(corpus: list[Verdicts]) -> None:
    kept = [v for v in corpus if v.official]
    assert len(kept) >= 20
    assert {"remove", "duplicate"} <= {v.kind for v in kept}


def _renewal_reply(reference: Path) -> etree._ElementTree:
    return parse_xml(reference / "samples" / "sarepta-digital-dialog" / RENEWED)


def _break_m1(tree: etree._ElementTree) -> etree._ElementTree:
    broken = copy.deepcopy(tree)
    dates = list(broken.iter(ns.qname(ns.M1_2013, "Forskrivningsdato")))
    assert dates, "the renewal reply carries an M1 with Forskrivningsdato"
    dates[0].text = "not a date"
    return broken


def test_m1_is_validated_only_with_the_official_set_added(reference: Path) -> None:
    reply = _renewal_reply(reference)
    broken = _break_m1(reply)
    ours = SchemaSet.default()
    joined = SchemaSet.with_extra([OFFICIAL_XSD])
    assert ns.M1_2013 not in ours.namespaces
    assert ns.M1_2013 in joined.namespaces
    assert ours.validate(reply) == []
    assert joined.validate(reply) == []
    assert ours.validate(broken) == []  # carried, not checked: lax Content
    issues = joined.validate(broken)
    assert len(issues) == 1
    assert "Forskrivningsdato" in issues[0].message
    assert "not a date" in issues[0].message
    assert issues[0].xpath is not None
    assert issues[0].xpath.endswith("/Resept/Forskrivningsdato")


def test_extra_directory_keeps_our_schemas_unless_asked(reference: Path) -> None:
    joined = SchemaSet.with_extra([OFFICIAL_XSD])
    assert joined.locations[ns.MSGHEAD].parent.name == "schemas"
    preferred = SchemaSet.with_extra([OFFICIAL_XSD], prefer_extra=True)
    assert preferred.locations[ns.MSGHEAD].name == "MsgHead-v1_2.xsd"
    assert preferred.locations[ns.DIALOG_1_1].name == "dialogmelding-v1.1.xsd"


def _with_foreign_content(reference: Path) -> etree._ElementTree:
    tree = copy.deepcopy(_renewal_reply(reference))
    content = tree.find(f".//{{{ns.MSGHEAD}}}Content")
    assert content is not None
    etree.SubElement(content, "{urn:example:vendor-extension}Tillegg").text = "x"
    return tree


def test_content_is_lax_in_ours_and_strict_in_the_official_set(
    reference: Path, official_schema: etree.XMLSchema
) -> None:
    tree = _with_foreign_content(reference)
    assert not official_schema.validate(tree)
    assert SchemaSet.default().validate(tree) == []
    assert SchemaSet.with_extra([OFFICIAL_XSD]).validate(tree) == []
    strict = SchemaSet.with_extra([OFFICIAL_XSD], prefer_extra=True).validate(tree)
    assert len(strict) == 1
    assert "Tillegg" in strict[0].message


@pytest.mark.parametrize("position", [None, 0, 1])
def test_signature_placement_verdict_matches_official(
    signed: etree._Element, official_schema: etree.XMLSchema, position: int | None
) -> None:
    if position is not None:
        signed.insert(position, signed[-1])
    assert SchemaSet.default().is_valid(signed) == bool(official_schema.validate(signed))
    assert SchemaSet.default().is_valid(signed) == (position is None)


def test_official_set_alone_gives_the_fixture_verdicts(official_schema: etree.XMLSchema) -> None:
    alone = SchemaSet.load([OFFICIAL_XSD], own=False)
    assert ns.MSGHEAD in alone.namespaces
    for path in official_sample_paths()[:5]:
        tree = parse_xml(path)
        assert alone.is_valid(tree)
        assert official_schema.validate(tree)
        broken = copy.deepcopy(tree)
        info = broken.getroot()[0]
        info.remove(required(info.find(ns.qname(ns.MSGHEAD, "MsgId"))))
        assert not alone.is_valid(broken)
        assert not official_schema.validate(broken)
