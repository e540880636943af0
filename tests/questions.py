"""Questions several tests ask the shipped knowledge, with what it does with them: kept in
one place, so a vocabulary change or a refit that moves one is followed up once."""

UNSURE = "授权内容"  # a broad word and a vague one, thin evidence: "did you mean", no card
MANDATE = frozenset({"C2", "C3", "C6"})  # the mandate's commitments, what UNSURE offers
