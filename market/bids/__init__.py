"""Publishing tenders and sealed bidding."""
