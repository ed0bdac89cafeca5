"""Pure matching engine: plain dataclasses in, plain dataclasses with explanations out.

No Flask, no SQLAlchemy, no database: usable from a notebook.
"""
