"""E-consultation: a question, the AppRec, the deadline, an answer with warnings and tariffs,
and the "please book an appointment" answer. Run: python examples/econsultation.py"""

from __future__ import annotations

from datetime import UTC, datetime

from _office import GP, INGRID, LOCUM, make_office, over_the_wire, show

office, _ = make_office()

# helsenorge.no's side: Ingrid asks her GP
question = office.e_consultation.request(
    INGRID, GP.her_id, "Utslett på armen", "Jeg har hatt et kløende utslett i en uke. Hva gjør jeg?"
)
show("citizen asks (SB)", question.message)

# the office receives it: one AppRec, an inbox item with a due date (five working days)
received = office.receive(over_the_wire(question.message))
assert received.incoming is not None
assert received.receipt is not None
show("office receipts it", received.receipt)
print("  answer due by", received.incoming.item.due)

# the GP answers; the journal shows warnings and the suggested tariffs
answer = office.e_consultation.answer(
    received.incoming.conversation.id,
    "Dette ser ut som eksem. Smør med fuktighetskrem. Jeg sykmelder deg ikke for dette.",
)
show("GP answers (12)", answer.message)
print("  warnings:", [str(w) for w in answer.warnings])
print("  tariffs: ", [t.code for t in answer.tariffs])

# a second question the GP will not answer without seeing the patient
second = office.e_consultation.request(INGRID, GP.her_id, "Brystsmerter", "Vondt i brystet.")
incoming = office.receive(over_the_wire(second.message)).incoming
assert incoming is not None
book = office.e_consultation.ask_to_book(incoming.conversation.id, responder=LOCUM)
show("locum: please book a time (12)", book.message)
print("  tariffs: ", [t.code for t in book.tariffs], "(nothing billed)")

print("overdue in a month:", [c.id for c in office.overdue(datetime(2030, 1, 1, tzinfo=UTC))])
