"""The window itself: application start, main window, page list, theme, resources and worker threads."""
