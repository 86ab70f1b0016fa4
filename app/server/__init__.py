"""The local API server's control plane: llama.cpp's llama-server (router mode) serves the requests;
this package names the library's models for it, starts and supervises it, and reads its own
/models, /metrics, /slots and log. Nothing here sits in the request path."""
