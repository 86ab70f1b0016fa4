"""The local model library: scanning folders and other tools' downloads, vision projector pairing."""
