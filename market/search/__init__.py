"""Typo-tolerant search for Chinese and English over titles, descriptions and names."""
