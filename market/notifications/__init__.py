"""In-app notifications, with an outbox an e-mail sender drains."""
