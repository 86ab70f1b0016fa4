"""What ``workbench`` with no command does.

The desktop app lands in its own issue; until then this is a first-run demo
in the terminal: build the demo models (once) and stream a chat reply.
"""

from __future__ import annotations

import sys

from app.paths import demo_models_dir


def launch_app() -> int:
    from models.demo_factory import build_demo_models
    from runtimes.events import Done, Token
    from runtimes.llama_cpp.options import LlamaLoadOptions
    from runtimes.registry import all_runtimes, get_runtime
    from runtimes.requests import Sampling, TextRequest

    print("Workbench - the desktop app is not built yet; here is a terminal demo.\n")
    for runtime in all_runtimes():
        availability = runtime.availability()
        print(f"runtime {runtime.name}: {'ok' if availability.ok else 'unavailable'} - {availability.reason}")
    print(f"\nbuilding demo models in {demo_models_dir()} ...")
    models = build_demo_models(demo_models_dir(), quants=("Q4_K_M",))
    model = next(m for m in models if m.quant == "Q4_K_M")
    print(f"loading {model.path.name} in a worker process ...")
    request = TextRequest(
        messages=[{"role": "user", "content": "Say hello."}],
        sampling=Sampling(temperature=0.7, seed=42, max_tokens=48),
    )
    with get_runtime("llama.cpp").load(model.path, LlamaLoadOptions(n_ctx=512)) as session:
        print("reply (random weights, so expect noise): ", end="")
        for event in session.run(request):
            if isinstance(event, Token):
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, Done):
                stats = event.stats
                print(f"\n\n{stats.n_gen} tokens at {stats.gen_tps:.1f} t/s, TTFT {stats.ttft_s * 1000:.0f} ms")
    print("\nTry: workbench generate|inspect|bench|runtimes|demo-models --help")
    return 0
