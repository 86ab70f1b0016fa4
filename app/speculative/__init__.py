"""Speculative decoding runs: drafts, bench, baselines, accepted-token spans and reports."""
