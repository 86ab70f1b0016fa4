"""Choosing and loading a model: the picker, load options and load progress, shared by pages."""
