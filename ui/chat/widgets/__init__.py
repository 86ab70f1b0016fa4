"""Widgets of the Chat page: composer, transcript, messages, side panel and banners."""
