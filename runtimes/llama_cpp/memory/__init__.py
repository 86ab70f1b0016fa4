"""How much memory a llama.cpp load needs: llama.cpp's no_alloc plan, breakdown and estimate."""
