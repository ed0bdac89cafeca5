"""Projects: government-purchased services, public-benefit projects, resident micro-projects."""
