"""Measuring ranking quality on judged queries (nDCG, MRR, recall)."""
