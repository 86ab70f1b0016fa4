"""Runtime, device and load options (context, GPU layers, threads) for the
next model load. Defaults come from Settings; changes here apply to this
load only (the Settings page owns the defaults)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QSpinBox, QWidget

from app.settings import Settings
from runtimes.base import Device, LoadOptions
from runtimes.llama_cpp.options import LlamaLoadOptions
from ui.model_picker.discovery import RuntimeChoice
from ui.model_picker.vision_picker import VisionPicker
from ui.rpc.remote_devices_row import RemoteDevicesRow


def load_options_for(runtime: str, device: str, n_ctx: int, n_gpu_layers: int, n_threads: int,
                     rpc: tuple[str, ...] = ()) -> Any:
    """The options object ``runtime`` expects. ``n_threads`` 0 = the runtime's default."""
    threads = n_threads or None
    if runtime == "llama.cpp":
        return LlamaLoadOptions(device=device, n_threads=threads, n_ctx=n_ctx, n_gpu_layers=n_gpu_layers, rpc=rpc)
    return LoadOptions(device=device, n_threads=threads, extra={"n_ctx": n_ctx, "n_gpu_layers": n_gpu_layers})


class ModelLoadOptionsForm(QWidget):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self._choices: list[RuntimeChoice] = []
        self.runtime_combo = QComboBox()
        self.runtime_combo.setPlaceholderText("Detecting runtimes…")
        self.device_combo = QComboBox()
        self.ctx_spin = QSpinBox(minimum=0, maximum=1 << 20, singleStep=256)
        self.ctx_spin.setSpecialValueText("model's own")
        self.ctx_spin.setSuffix(" tokens")
        self.ctx_spin.setToolTip("Context window in tokens (-c); 0 uses the model's training context")
        self.gpu_layers_spin = QSpinBox(minimum=-1, maximum=999)
        self.gpu_layers_spin.setSpecialValueText("all")
        self.gpu_layers_spin.setToolTip("Layers to offload to the GPU (-ngl); -1 offloads all of them")
        self.threads_spin = QSpinBox(minimum=0, maximum=512)
        self.threads_spin.setSpecialValueText("auto")
        self.threads_spin.setToolTip("CPU threads (-t); auto uses the physical cores")
        self.vision = VisionPicker()  # mmproj and image prompt format
        self.remote = RemoteDevicesRow(settings.rpc_endpoints)  # llama.cpp's --rpc
        self.remote.devices_listed.connect(self._add_remote_devices)
        self.remote.edit.textChanged.connect(self._update_gpu_layers)
        self._defaults: tuple[int, int, int] | None = None  # what set_defaults last showed
        self.set_defaults(settings)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Runtime", self.runtime_combo)
        form.addRow("Device", self.device_combo)
        form.addRow("Context", self.ctx_spin)
        form.addRow("GPU layers", self.gpu_layers_spin)
        form.addRow("Threads", self.threads_spin)
        form.addRow("Remote devices", self.remote)
        form.addRow(self.vision)
        self.runtime_combo.currentIndexChanged.connect(self._fill_devices)
        self.device_combo.currentIndexChanged.connect(self._update_gpu_layers)

    def set_defaults(self, settings: Settings) -> None:
        """Show the default load options; a field the user set to something else here keeps its value."""
        new = (settings.n_ctx, settings.n_gpu_layers, settings.n_threads)
        old = self._defaults
        for i, spin in enumerate((self.ctx_spin, self.gpu_layers_spin, self.threads_spin)):
            if old is None or spin.value() == old[i]:
                spin.setValue(new[i])
        self._defaults = new

    def set_runtimes(self, choices: list[RuntimeChoice]) -> None:
        self._choices = list(choices)
        self.runtime_combo.clear()
        self.runtime_combo.setPlaceholderText("No usable runtime")
        for choice in self._choices:
            self.runtime_combo.addItem(choice.name)
        if self._choices:
            self.runtime_combo.setCurrentIndex(0)

    def runtime_name(self) -> str | None:
        index = self.runtime_combo.currentIndex()
        return self._choices[index].name if 0 <= index < len(self._choices) else None

    def device(self) -> Device | None:
        return self.device_combo.currentData()

    def options(self) -> Any:
        """Options for the chosen runtime and device; ``None`` before runtimes are known."""
        runtime, device = self.runtime_name(), self.device()
        if runtime is None or device is None:
            return None
        rpc = self.remote.endpoints() if runtime == "llama.cpp" else ()  # RpcEndpointError: a clear message
        # A CPU device offloads nothing, whatever the spin box says, unless remote devices take layers.
        gpu_layers = 0 if device.kind == "cpu" and not rpc else self.gpu_layers_spin.value()
        options = load_options_for(runtime, device.id, self.ctx_spin.value(), gpu_layers, self.threads_spin.value(),
                                   rpc)
        return self.vision.apply(options)

    def _fill_devices(self, index: int) -> None:
        self.device_combo.clear()
        if not 0 <= index < len(self._choices):
            return
        devices = self._choices[index].devices
        for device in devices:
            label = f"{device.id.upper()} · {device.description}" if device.description else device.id.upper()
            self.device_combo.addItem(label, device)
            self.device_combo.setItemData(self.device_combo.count() - 1, device.id, Qt.ItemDataRole.ToolTipRole)
        # An accelerator only when layers are to be offloaded: with 0 GPU layers
        # the model runs on the CPU, and the device shown must say so.
        wants_gpu = self.gpu_layers_spin.value() != 0
        accelerated = next((i for i, d in enumerate(devices) if d.kind != "cpu"), None)
        cpu = next((i for i, d in enumerate(devices) if d.kind == "cpu"), 0)
        self.device_combo.setCurrentIndex(accelerated if wants_gpu and accelerated is not None else cpu)
        self._update_gpu_layers()

    def _update_gpu_layers(self) -> None:
        device = self.device()
        remote = bool(self.remote.edit.text().strip())
        self.gpu_layers_spin.setEnabled(device is not None and (device.kind != "cpu" or remote))

    def _add_remote_devices(self, devices: list[Device]) -> None:
        """Remote devices join the picker with their free memory (they take layers alongside local GPUs)."""
        for index in reversed(range(self.device_combo.count())):
            if self.device_combo.itemData(index).kind == "rpc":
                self.device_combo.removeItem(index)
        for device in devices:
            free = f" · {device.memory_free / 2**30:.1f} GiB free" if device.memory_free else ""
            self.device_combo.addItem(f"{device.id.upper()} · {device.description}{free}", device)
