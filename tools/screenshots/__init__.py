"""Screenshots of the window for docs and review (run under Xvfb or offscreen)."""
