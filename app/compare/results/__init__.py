"""Turning comparison scores into results: statistics, histograms, Pareto fronts, advice, export."""
