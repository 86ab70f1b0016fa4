"""Vision flags for ``workbench generate``: --image (repeatable), --mmproj,
--chat-handler. Images are checked here, before the model loads, so a bad
file fails in milliseconds with its own message."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from runtimes.image_input import prepare_image
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.llama_cpp.vision.handlers import AUTO, HANDLERS
from runtimes.requests import Image


def add_vision_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("vision")
    group.add_argument("--image", action="append", default=[], metavar="FILE",
                       help="PNG, JPEG or WebP shown to a vision model with the prompt (repeatable; implies --chat)")
    group.add_argument("--mmproj", default=None, metavar="MMPROJ",
                       help="vision projector GGUF; 'auto' pairs one from the model's folder (default with --image), "
                            "'none' loads the text model alone")
    group.add_argument("--chat-handler", default=AUTO, choices=(AUTO, *HANDLERS),
                       help="prompt format around the images (default: picked from the GGUF metadata)")


def vision_options(args: argparse.Namespace, options: LlamaLoadOptions) -> LlamaLoadOptions:
    """``options`` with the mmproj and handler the flags ask for."""
    mmproj = args.mmproj
    if mmproj is None:
        mmproj = AUTO if args.image else None
    elif mmproj.lower() == "none":
        mmproj = None
    return dataclasses.replace(options, mmproj=mmproj, chat_handler=args.chat_handler)


def images(args: argparse.Namespace) -> list[Image]:
    """The --image files, each checked and decoded once here (raises ImageError)."""
    found = [Image(path=path) for path in args.image]
    for image in found:
        prepare_image(image)
    return found


def report_vision(info: dict[str, Any], wants_images: bool) -> None:
    """One stderr line on what the model can see."""
    vision = info.get("vision")
    if vision:
        per_image = f", {vision['image_tokens']} tokens per image" if vision.get("image_tokens") else ""
        print(f"[vision: {vision['mmproj']} ({vision['projector']} projector, {vision['handler']} handler"
              f"{per_image}); {vision['pairing']}]", file=sys.stderr)
    elif info.get("vision_warning"):
        print(f"[warning: {info['vision_warning']}]", file=sys.stderr)
    elif wants_images:
        print("[warning: no mmproj was found for this model; pass --mmproj]", file=sys.stderr)
