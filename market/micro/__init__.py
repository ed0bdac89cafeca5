"""Resident micro-projects (民生微实事): collection → deliberation → decision → implementation →
acceptance, with public notice at each step.

``models`` holds the tables and their state machines, ``services`` the operations (one module per
stage), ``routes`` the thin views of the ``micro`` blueprint and ``demo`` the demo stage.
"""
