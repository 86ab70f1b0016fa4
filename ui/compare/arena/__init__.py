"""The arena panel of the Compare page."""
