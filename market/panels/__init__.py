"""Evaluation of tenders: the expert pool, random panel draws, panel scoring and the candidate notice."""
