"""Geography (district → street 街道 → community 社区) and the category taxonomy."""
