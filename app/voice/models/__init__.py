"""Which models a voice session uses: discovery, choice, downloads and the loaded set."""
