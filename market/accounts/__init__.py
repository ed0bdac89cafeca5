"""Users, roles, log-in and resident verification."""
