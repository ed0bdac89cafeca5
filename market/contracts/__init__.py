"""Contracts between the district (or a funder) and a provider, with milestones."""
