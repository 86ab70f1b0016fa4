"""Which backends the installed llama.cpp build was compiled with."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel

from ui.runtimes.card import badge, heading, make_card, muted
from ui.runtimes.report import GPU_BACKENDS, LlamaBuild

_IN_BUILD = "color: #1e8449; background: rgba(39, 174, 96, 0.15); border: 1px solid #27ae60;"
_NOT_IN_BUILD = "color: #8a8f96; background: transparent; border: 1px solid #8a8f96;"


class LlamaBuildPanel(QFrame):
    def __init__(self, build: LlamaBuild | None, error: str = "") -> None:
        super().__init__()
        layout = make_card(self, "llamaBuild")
        layout.addWidget(heading("llama.cpp build"))
        self.backend_badges: dict[str, QLabel] = {}
        if build is None:
            self.summary_label = QLabel(f"llama-cpp-python could not be loaded: {error}")
            self.summary_label.setWordWrap(True)
            layout.addWidget(self.summary_label)
            return

        offload = "yes" if build.gpu_offload else "no (CPU only)"
        self.summary_label = QLabel(f"llama-cpp-python {build.version} · GPU offload: {offload}")
        layout.addWidget(self.summary_label)

        row = QHBoxLayout()
        row.addWidget(QLabel("<b>Backends:</b>"))
        gpus = [name for name, _flag, _note in GPU_BACKENDS]
        for name in ("CPU", *gpus):
            present = build.has_backend(name)
            mark = "✓" if present else "✗"
            self.backend_badges[name] = badge(f"{mark} {name}", _IN_BUILD if present else _NOT_IN_BUILD)
            self.backend_badges[name].setToolTip("in this build" if present else "not in this build")
            row.addWidget(self.backend_badges[name])
        row.addStretch(1)
        layout.addLayout(row)

        self.registry_label = muted(QLabel(f"ggml backend registry: {', '.join(build.backends) or 'empty'}"))
        layout.addWidget(self.registry_label)

        # The enabled entries of llama.cpp's system_info line; the raw line is the tooltip.
        self.cpu_label = QLabel(f"<b>CPU features:</b> {' · '.join(build.cpu_features) or 'none reported'}")
        self.cpu_label.setWordWrap(True)
        self.cpu_label.setToolTip(build.system_info)
        layout.addWidget(self.cpu_label)
