"""Micro-project operations, one module per stage: ``rounds``, ``proposals`` (collection),
``review`` (deliberation and the expert panel), ``voting`` (decision and public notice),
``elections`` (the bridge to :mod:`matching.pb`), ``supervision`` (implementation),
``evaluation`` (acceptance, ratings, reputation) and ``dashboard``.

Every operation takes the acting user explicitly and ``now`` (default: the current time), flushes
and records an audit event, and leaves the commit to the caller.
"""
