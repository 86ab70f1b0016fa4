"""Per-token scores for Compare: logits, KLD base files and batched KV evaluation."""
