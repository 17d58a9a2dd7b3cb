"""Every rule ID the services raise is in the rule table of docs/services.md, so a journal
developer who sees `[SV0xx]` in an error can look it up."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_raised_rule_is_documented() -> None:
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "src/digidialog/services").glob("*.py")
    )
    raised = set(re.findall(r'rule="(SV\d{3})"', source))
    docs = (ROOT / "docs/services.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| (SV\d{3}) \|", docs, re.MULTILINE))
    assert raised
    assert raised <= documented, sorted(raised - documented)
