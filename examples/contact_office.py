"""Contact-the-office: an administrative message to the front desk, an answer, and a medical
question redirected to e-consultation. Run: python examples/contact_office.py"""

from __future__ import annotations

from _office import GP, INGRID, make_office, over_the_wire, show

office, _ = make_office()

moved = office.contact.request(INGRID, None, "Ny adresse", "Jeg har flyttet til Strandveien 4.")
show("citizen writes the office (HE)", moved.message)
received = office.receive(over_the_wire(moved.message))
assert received.incoming is not None
assert received.receipt is not None
show("office receipts it", received.receipt)
answer = office.contact.answer(received.incoming.conversation.id, "Takk, adressen er endret.")
show("front desk answers (19)", answer.message)
print("  tariffs:", [t.code for t in answer.tariffs], "(contact-the-office bills nothing)")

medical = office.contact.request(INGRID, GP.her_id, "Vondt i kneet", "Hva kan det være?")
incoming = office.receive(over_the_wire(medical.message)).incoming
assert incoming is not None
redirect = office.contact.redirect_to_e_consultation(incoming.conversation.id)
show("redirect to e-consultation (19)", redirect.message)
print("  text:", redirect.message.dialogmelding.notat[0].tekst_notat_innhold)  # type: ignore[union-attr]
