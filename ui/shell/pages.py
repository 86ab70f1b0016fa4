"""The window's pages, in navigation order. Each page class has ``title``,
``icon`` (a name in assets/icons) and takes the AppContext."""

from __future__ import annotations


def page_classes() -> list[type]:
    from ui.chat.page import ChatPage
    from ui.compare.page import ComparePage
    from ui.library.page import LibraryPage
    from ui.monitor.page import MonitorPage
    from ui.runtimes.page import RuntimesPage
    from ui.server.server_page import ServerPage
    from ui.settings.page import SettingsPage
    from ui.speculative.page import SpeculativePage
    from ui.tensors.page import TensorPage
    from ui.voice.page import VoicePage

    return [
        ChatPage, VoicePage, LibraryPage, ComparePage, SpeculativePage, TensorPage, MonitorPage, ServerPage,
        RuntimesPage, SettingsPage,
    ]
