"""The README's "Try it" lists are the steps the browser tests follow (tests/e2e/test_try_it.py)."""
from __future__ import annotations

from tests.e2e.test_try_it import STEPS, readme_lists


def test_every_try_it_list_is_followed_step_by_step():
    assert readme_lists() == {account: [text for text, _fn in steps] for account, steps in STEPS.items()}


def test_each_list_has_five_to_eight_steps():
    assert {account: 5 <= len(steps) <= 8 for account, steps in readme_lists().items()} == {
        account: True for account in STEPS}


def test_a_changed_step_is_noticed():
    readme = "# Title\n\n## Try it\n\n### Resident — `r@example.org`\n1. Log in.\n2. Vote.\n\n## Next\n1. Not a step.\n"
    assert readme_lists(readme) == {"r@example.org": ["Log in.", "Vote."]}
