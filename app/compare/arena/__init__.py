"""The arena: one prompt to several quants, answers side by side, and the vote board."""
