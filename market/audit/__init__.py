"""Tamper-evident audit trail (全过程留痕)."""
