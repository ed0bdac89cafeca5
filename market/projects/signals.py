"""What other domains tell this one about a project, without this domain knowing them."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with a project whose budget is about to be lowered; each receiver returns the least budget
#: (in fen) the project must keep because of what the receiver's domain holds for it, or None.
budget_floor = _signals.signal("project-budget-floor")
