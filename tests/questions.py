"""Questions several tests ask the shipped knowledge, with what it does with them: kept in
one place, so a vocabulary change or a refit that moves one is followed up once."""

# one generic word: never a card (the decision's rule, not a threshold a refit moves), and
# plausible enough for "did you mean"
UNSURE = "合作"
# the entries about cooperation and partnerships, among which UNSURE's choices are
COOPERATION = frozenset({"A7", "C8", "C33", "C34", "C37", "C38", "C39", "C40"})
