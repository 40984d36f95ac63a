"""Benchmarks of the evaluation at 10,000 to 10,000,000 parcels (``make bench``; see README)."""
