"""Open the main window, report that it showed, and quit: the window check of
``workbench selftest``. Run as ``python -m ui.shell.selftest_window`` (or, frozen,
``workbench --selftest-window``) with QT_QPA_PLATFORM=offscreen, in its own
process so app/ never imports Qt.
"""

from __future__ import annotations

import sys

WINDOW_CHECK_ARG = "--selftest-window"


def main() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui.shell.app import create_window

    app = QApplication.instance() or QApplication([sys.argv[0]])
    window = create_window()
    window.show()
    result = {"code": 1}

    def report() -> None:
        # First event-loop turn after show(): the window and all pages were built.
        if window.isVisible():
            # TTS engines that start (Qt's mock one included) prove the texttospeech plugins load.
            from ui.voice.os_voice import os_voice_engines

            tts = ",".join(os_voice_engines(include_test=True)) or "none"
            print(f"window-ok platform={app.platformName()} pages={','.join(window.pages)} tts={tts}", flush=True)
            result["code"] = 0
        window.close()  # closeEvent stops the pages' workers and the context
        app.quit()

    QTimer.singleShot(0, report)
    app.exec()
    return result["code"]


if __name__ == "__main__":
    sys.exit(main())
