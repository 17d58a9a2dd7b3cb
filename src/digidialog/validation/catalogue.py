"""The rule catalogue as Markdown (``docs/rules.md`` is this output; a test keeps them equal).

python -m digidialog.validation.catalogue > docs/rules.md
"""

from __future__ import annotations

from digidialog.validation import engine as _engine  # noqa: F401  (registers the rules)
from digidialog.validation.registry import RULES
from digidialog.validation.report import XML_RULE, XSD_RULE

_KINDS = {"msghead": "MsgHead (digital-dialog messages)", "apprec": "AppRec (application receipts)"}

HEADER = """# Validation rules

`digidialog validate` checks each message in three layers and stops at the first that fails:

1. `{xml}` — the bytes are well-formed XML and pass the hardened parser (no DTDs, entities,
   network access or XInclude; size and depth caps).
2. `{xsd}` — the message validates against the schema set (ours in `schemas/`, plus any
   `--schemas DIR`).
3. `DDnnn` — the business rules of HITS 1217 chapter 2 (and the process catalogue of chapter 3),
   listed below. They run only on schema-valid messages.

Only errors make a message invalid; warnings and notes are reported but do not change the exit
code. A rule ID never changes meaning; a retired rule keeps its number unused.
This file is generated from the rule registry: `python -m digidialog.validation.catalogue`.

Batches: for 500 files or more `digidialog validate` spreads the work over one worker process per
CPU (each compiles the schema set once); `--jobs N` sets the number, `--jobs 1` keeps it to one
process. The reports come back in input order, so the output does not depend on the number of jobs.
"""


def markdown() -> str:
    """Every registered rule, grouped by the document kinds it checks (a rule for both kinds, as
    DD070-DD073, is listed under each)."""
    lines = [HEADER.format(xml=XML_RULE, xsd=XSD_RULE)]
    for kind, title in _KINDS.items():
        lines.append(f"## {title}\n")
        lines.append("| ID | severity | rule | specification |")
        lines.append("|---|---|---|---|")
        for rule in sorted(RULES.values(), key=lambda r: r.id):
            if kind in rule.kinds:
                lines.append(
                    f"| {rule.id} | {rule.severity.value} | {rule.title} | {rule.section} |"
                )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
