"""The Hugging Face Hub client: search, repo files, quant lists, remote GGUF headers and the token."""
