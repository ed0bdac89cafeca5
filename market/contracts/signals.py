"""What this domain asks and tells the domains that build on it (awards, payments), without knowing them."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with a contract about to be signed (and ``now=``); each receiver returns a list of reasons
#: (translatable messages) why it cannot be signed yet, or an empty list.
blocks_signing = _signals.signal("contract-signing-blockers")

#: Sent with the contract whose signature completed its project's set (every live contract of the
#: project is signed now), with ``actor=`` (None: the nightly job) and ``now=``.
project_contracts_signed = _signals.signal("project-contracts-signed")

#: Sent with a milestone an official has just approved, with ``actor=`` and ``now=``: the payout follows.
milestone_approved = _signals.signal("milestone-approved")
