"""The --models-preset INI that tells llama-server's router which names it serves and with what
settings (llama.cpp tools/server/README.md, "Model presets"). Keys are llama-server's own flags."""

from __future__ import annotations

from pathlib import Path

from app.server.names import ServedModel


def preset_text(models: list[ServedModel], ctx: int, parallel: int, embeddings: bool,
                idle_seconds: int, threads: int | None = None, chat_template_file: Path | None = None,
                rpc: tuple[str, ...] = (), n_gpu_layers: int | None = None) -> str:
    shared: dict[str, object] = {"c": ctx, "parallel": parallel}
    if rpc:  # remote devices (llama.cpp's --rpc): each served model offloads to them
        shared["rpc"] = _check_value(",".join(rpc))
    if n_gpu_layers is not None:
        shared["n-gpu-layers"] = n_gpu_layers
    if chat_template_file:  # e.g. a tools-capable template for a model whose own template has no tools
        shared["chat-template-file"] = _check_value(str(Path(chat_template_file).resolve()))
    if threads:
        shared["threads"] = threads
    if idle_seconds > 0:
        shared["sleep-idle-seconds"] = idle_seconds  # the child frees its weights and KV after this
    if embeddings:
        # /v1/embeddings needs an embeddings context with pooling; it costs prompt speed, hence opt-in
        shared |= {"embeddings": "true", "pooling": "mean"}
    lines = ["version = 1", "", "[*]", *(f"{k} = {v}" for k, v in shared.items()), ""]
    for m in models:
        lines += [f"[{_check_value(m.name, section=True)}]", f"model = {_check_value(str(m.path.resolve()))}"]
        if m.alias:
            lines.append(f"alias = {_check_value(m.alias, section=True)}")
        lines.append("")
    return "\n".join(lines)


def write_preset(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _check_value(value: str, section: bool = False) -> str:
    """INI cannot carry these in a section name or value; refuse rather than serve the wrong file."""
    if any(c in value for c in ("\n\r[],;" if section else "\n\r")) or value != value.strip():
        raise ValueError(f"cannot serve {value!r}: its name or path has a newline, bracket or edge space")
    return value
