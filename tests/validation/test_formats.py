"""`digidialog.validation.formats` with what file names and messages may hold: every format stays
parseable (valid UTF-8 JSON, well-formed XML) and says which file it means."""

from __future__ import annotations

import json
import os

from lxml import etree

from digidialog.validation.formats import render_json, render_junit, render_sarif, render_text
from digidialog.validation.report import Issue, Report, Severity

ODD = os.fsdecode(b"in/bad\xffname\x01.xml")
"""A file name with a byte that is not UTF-8 and a control character (Linux allows both)."""
SHOWN = "in/bad\\xffname\\x01.xml"


def _reports() -> list[Report]:
    return [
        Report(ODD, [Issue("DD001", Severity.ERROR, "MsgId \x0b is not a UUID \ufffe", 7, "/a")]),
        Report(ODD, [Issue("DD061", Severity.WARNING, "odd \x1b[31m attachment")]),
        Report(None, []),
    ]


def test_text_and_json_show_the_name_escaped() -> None:
    text = render_text(_reports())
    text.encode("utf-8")
    assert f"{SHOWN}:7: error DD001" in text
    assert "\x1b" not in text
    document = json.loads(render_json(_reports()).encode("utf-8"))
    assert [f["path"] for f in document["files"]] == [SHOWN, SHOWN, "<stdin>"]


def test_junit_is_well_formed_whatever_names_and_messages_hold() -> None:
    suites = etree.fromstring(render_junit(_reports()).encode("utf-8"))
    cases = suites.findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == [SHOWN, SHOWN, "<stdin>"]
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("message") == "1 error(s): MsgId \\x0b is not a UUID \\ufffe"
    assert (cases[1].findtext("system-out") or "").endswith("odd \\x1b[31m attachment")


def test_sarif_uris_are_percent_encoded() -> None:
    document = json.loads(render_sarif(_reports()).encode("utf-8"))
    run = document["runs"][0]
    uris = [a["location"]["uri"] for a in run["artifacts"]]
    assert uris == ["in/bad%FFname%01.xml", "in/bad%FFname%01.xml", "%3Cstdin%3E"]
    located = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert located["uri"] == "in/bad%FFname%01.xml"
