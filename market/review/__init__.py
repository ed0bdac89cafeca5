"""The officials' matching console, awards (公示), objections, contracts and milestones."""
