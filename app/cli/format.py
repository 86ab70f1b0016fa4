"""Human-readable numbers for CLI output."""

from __future__ import annotations

from runtimes.events import GenerationStats


def mib(n_bytes: int | None) -> str:
    return "n/a" if n_bytes is None else f"{n_bytes / 2**20:.0f} MiB"


def _cpu(stats: GenerationStats) -> str:
    return f", CPU {stats.gen_cpu_ms_per_token:.2f} ms/tok" if stats.gen_cpu_s > 0 else ""


def stats_line(stats: GenerationStats) -> str:
    vram = f" | VRAM {mib(stats.vram_bytes)}" if stats.vram_bytes else ""
    images = (f" | {stats.n_images} image(s): {stats.n_image_tokens} tok, encode {stats.image_encode_s * 1000:.0f} ms"
              if stats.n_images else "")
    return (
        f"TTFT {stats.ttft_s * 1000:.0f} ms{images} | prompt {stats.prompt_tps:.1f} t/s ({stats.n_prompt} tok)"
        f" | gen {stats.gen_tps:.1f} t/s ({stats.n_gen} tok{_cpu(stats)}) | peak RSS {mib(stats.peak_rss_bytes)}{vram}"
        f" | stop: {stats.stop_reason}"
    )
