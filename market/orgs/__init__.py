"""Organisations: social organisations, enterprises, foundations, government departments."""
