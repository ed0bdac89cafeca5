"""Parts of a page contributed by other domains (through a signal), shown in their order."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from blinker import NamedSignal


@dataclass(frozen=True)
class Section:
    """A template to include, with its own context; lower ``order`` comes first."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


def collect(signal: NamedSignal, sender: Any, **kwargs: Any) -> list[Section]:
    """The sections the receivers of ``signal`` returned for ``sender``, in order."""
    sections = [value for _receiver, value in signal.send(sender, **kwargs) if isinstance(value, Section)]
    return sorted(sections, key=lambda s: (s.order, s.template))
