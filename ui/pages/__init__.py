"""The window's pages, in navigation order. Each page class has ``title``,
``icon`` (a name in assets/icons) and takes the AppContext."""

from __future__ import annotations


def page_classes() -> list[type]:
    from ui.pages.chat_page import ChatPage
    from ui.pages.compare_page import ComparePage
    from ui.pages.library_page import LibraryPage
    from ui.pages.monitor_page import MonitorPage
    from ui.pages.runtimes_page import RuntimesPage
    from ui.pages.settings_page import SettingsPage
    from ui.pages.speculative_page import SpeculativePage
    from ui.pages.tensor_page import TensorPage
    from ui.pages.voice_page import VoicePage
    from ui.server.server_page import ServerPage

    return [
        ChatPage, VoicePage, LibraryPage, ComparePage, SpeculativePage, TensorPage, MonitorPage, ServerPage,
        RuntimesPage, SettingsPage,
    ]
