"""What other domains can add to an organisation's pages, without this domain knowing them."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with the organisation a profile page shows (and ``viewer=`` the user); each receiver returns
#: a :class:`market.ui.sections.Section` to show, or None.
profile_sections = _signals.signal("organization-profile-sections")
