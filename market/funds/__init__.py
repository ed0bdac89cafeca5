"""Funding pools kept by foundations, enterprise programmes and government funds."""
