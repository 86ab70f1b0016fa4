"""The window's pages, in navigation order. Each page class has ``title``,
``icon`` (a name in assets/icons) and takes the AppContext."""

from __future__ import annotations


def page_classes() -> list[type]:
    from ui.pages.chat_page import ChatPage
    from ui.pages.monitor_page import MonitorPage
    from ui.pages.runtimes_page import RuntimesPage
    from ui.pages.settings_page import SettingsPage

    return [ChatPage, MonitorPage, RuntimesPage, SettingsPage]
