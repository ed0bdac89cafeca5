"""Funders' pledges, donations to public-benefit projects and donation-matching campaigns."""
