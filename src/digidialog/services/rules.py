"""Warning rules for e-consultation answers (the service description's "should nots").

An e-consultation cannot carry a sick-leave note, should normally not lead to a referral, cannot
start A- or B-preparations (controlled drugs) and is not the channel for acute worsening. These are
clinical judgements the library cannot make, so it never refuses such an answer; it raises a
*warning* with a stable rule ID that the journal shows the GP before sending.

Detection, per rule:
- the journal's explicit `ClinicalFlag` on the `Reply` (authoritative), and
- a heuristic over the answer text and each attachment's description and (for text attachments)
  content: Norwegian keywords and, for A/B preparations, a short list of common A/B substances.
  Heuristics ignore negation ("du trenger ikke sykmelding" still warns): a false warning costs
  the GP a glance, a missed one may cost a rule breach.

| rule  | flag            | what |
|-------|-----------------|------|
| SV201 | SICK_LEAVE      | a sick-leave note (sykmelding) is issued through an e-consultation |
| SV202 | REFERRAL        | a referral (henvisning) follows from an e-consultation |
| SV203 | AB_PREPARATION  | an A- or B-preparation is started through an e-consultation |
| SV204 | ACUTE_WORSENING | the e-consultation handles acute worsening (should be ø-hjelp) |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from digidialog.services.types import Attachment, ClinicalFlag, Reply

__all__ = ["RULE_FOR_FLAG", "Detection", "RuleWarning", "check_e_consultation_answer"]

RULE_FOR_FLAG: dict[ClinicalFlag, str] = {
    ClinicalFlag.SICK_LEAVE: "SV201",
    ClinicalFlag.REFERRAL: "SV202",
    ClinicalFlag.AB_PREPARATION: "SV203",
    ClinicalFlag.ACUTE_WORSENING: "SV204",
}

_MESSAGES: dict[ClinicalFlag, str] = {
    ClinicalFlag.SICK_LEAVE: "an e-consultation cannot carry a sick-leave note",
    ClinicalFlag.REFERRAL: "an e-consultation should normally not lead to a referral",
    ClinicalFlag.AB_PREPARATION: "an e-consultation cannot start A- or B-preparations",
    ClinicalFlag.ACUTE_WORSENING: "an e-consultation is not for acute worsening",
}

_A_B_SUBSTANCES = (
    "morfin",
    "oksykodon",
    "fentanyl",
    "metadon",
    "buprenorfin",
    "ketobemidon",
    "petidin",
    "metylfenidat",
    "amfetamin",
    "deksamfetamin",
    "lisdeksamfetamin",
    "klonazepam",
    "flunitrazepam",
    "alprazolam",
    "diazepam",
    "oksazepam",
    "nitrazepam",
    "kodein",
)

_PATTERNS: dict[ClinicalFlag, re.Pattern[str]] = {
    ClinicalFlag.SICK_LEAVE: re.compile(r"\bsykm\w*|\bsykem\w*|\bsick[- ]?(leave|note)", re.I),
    ClinicalFlag.REFERRAL: re.compile(r"\bhenvis\w*|\bhenvist\b|\breferral\b", re.I),
    ClinicalFlag.AB_PREPARATION: re.compile(
        r"\b[ab]-?preparat\w*|\breseptgruppe\s+[ab]\b|\b(" + "|".join(_A_B_SUBSTANCES) + r")\w*",
        re.I,
    ),
    ClinicalFlag.ACUTE_WORSENING: re.compile(
        r"\bakutt\w*|\bø-?hjelp\b|\bøyeblikkelig\s+hjelp\b|\bring\s+113\b|\bacute\b", re.I
    ),
}


class Detection(StrEnum):
    """How a warning was found: set by the journal, or seen in the text or an attachment."""

    FLAG = "flag"
    TEXT = "text"
    ATTACHMENT = "attachment"


@dataclass(frozen=True, slots=True)
class RuleWarning:
    """A rule the answer may break; `rule` is the stable ID, `detected_by` how it was found."""

    rule: str
    flag: ClinicalFlag
    message: str
    detected_by: Detection

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message} ({self.detected_by.value})"


def _attachment_text(attachment: Attachment) -> str:
    text = attachment.description
    if attachment.media_type.startswith("text/"):
        text += "\n" + attachment.data.decode("utf-8", errors="replace")
    return text


def check_e_consultation_answer(reply: Reply) -> tuple[RuleWarning, ...]:
    """The warnings an e-consultation answer raises, one per flag, in rule order."""
    found: dict[ClinicalFlag, Detection] = {}
    for flag in ClinicalFlag:
        if flag in reply.clinical_flags:
            found[flag] = Detection.FLAG
        elif _PATTERNS[flag].search(reply.text):
            found[flag] = Detection.TEXT
        elif any(_PATTERNS[flag].search(_attachment_text(a)) for a in reply.attachments):
            found[flag] = Detection.ATTACHMENT
    return tuple(
        RuleWarning(RULE_FOR_FLAG[flag], flag, _MESSAGES[flag], how) for flag, how in found.items()
    )
