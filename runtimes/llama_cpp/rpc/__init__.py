"""llama.cpp's RPC backend: remote ggml devices served by rpc-server on other machines."""
