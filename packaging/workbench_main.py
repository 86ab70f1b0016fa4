"""PyInstaller's entry script for the frozen ``workbench`` executable."""

import multiprocessing
import sys

if __name__ == "__main__":
    # First thing: a spawned model worker is this executable re-run with
    # multiprocessing's arguments; freeze_support() runs the worker and exits.
    multiprocessing.freeze_support()
    from ui.shell.entry import main

    sys.exit(main())
