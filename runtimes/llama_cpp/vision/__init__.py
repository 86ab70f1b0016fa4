"""Vision input through llama.cpp's mtmd: projector setup, chat handlers and image prompts."""
