"""Deterministic Futian demo data: ``flask demo load`` and :func:`load_demo`."""
from market.demo.data import DEMO_ACCOUNTS, DEMO_PASSWORD, REFERENCE_DATE, SEED, SOCIAL_FUND_NAME, DemoAccount
from market.demo.loader import DemoLoadError, database_contents, load_demo

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "REFERENCE_DATE", "SEED", "SOCIAL_FUND_NAME", "DemoAccount",
           "DemoLoadError", "database_contents", "load_demo"]
