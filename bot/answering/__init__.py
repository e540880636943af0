"""Answering: a question in, ranked catalogue entries out — the catalogue, normalisation,
references, segmentation, spelling repair and the matcher. Knows no store and no transport."""
