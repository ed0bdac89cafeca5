"""The small core every domain builds on: database, errors, money, labelled enums, policy,
state transitions, the audit trail and the ledger. It imports no domain."""
