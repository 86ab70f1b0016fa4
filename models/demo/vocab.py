"""The demo models' tokenizer: a tiny byte-level GPT-2 style BPE vocabulary
with ChatML special tokens and chat template.

Every byte has its own token, so any text round-trips; a few dozen English
merges make tokenization look like a real BPE model's. Pure Python, no
llama_cpp needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# llama.cpp token types (gguf TokenType): plain text pieces vs control tokens.
TOKEN_NORMAL = 1
TOKEN_CONTROL = 3

BOS_TOKEN = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"

# ChatML; "<|im_end|>" is the eos token so a chat turn ends generation.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# BPE merges in rank order, in GPT-2's byte alphabet ("Ġ" is a space,
# "Ċ" a newline). Each side must be a byte or the result of an earlier merge.
_MERGES = (
    "Ġ t", "Ġ a", "h e", "i n", "r e", "o n", "Ġt he", "e r",
    "Ġ s", "a t", "Ġ w", "Ġ o", "e n", "Ġ c", "i t", "i s",
    "a n", "o r", "e s", "Ġ b", "e d", "Ġ f", "in g", "Ġ p",
    "o u", "Ġa n", "a l", "a r", "Ġt o", "Ġ m", "Ġo f", "Ġ in",
    "Ġ d", "Ġ h", "Ġan d", "i c", "a s", "l e", "Ġt h", "i on",
    "o m", "l l", "en t", "Ġ n", "Ġ l", "s t", "Ġ re", "v e",
    "Ġ e", "r o", "l y", "Ġb e", "Ġ g", "Ġ T", "c t", "Ġ y",
    "Ġ is", "Ġ I", "Ġw h", "Ġ it", "o w", "Ġ on", "Ġy ou", "l o",
)


@dataclass(frozen=True)
class DemoVocab:
    tokens: tuple[str, ...]
    token_types: tuple[int, ...]
    merges: tuple[str, ...]
    bos_id: int
    eos_id: int
    im_start_id: int
    chat_template: str
    # Tokens the demo model is allowed to emit: printable ASCII, newline and
    # the merges. Other bytes (control codes, halves of UTF-8 sequences) and
    # the control tokens would only make the random text unreadable.
    readable: tuple[bool, ...]


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map (llama.cpp's
    unicode_byte_to_utf8 uses the same one, so byte tokens must match it)."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    mapping = {b: chr(b) for b in printable}
    shifted = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + shifted)
            shifted += 1
    return mapping


@lru_cache(maxsize=1)
def build_vocab() -> DemoVocab:
    """Token ids: 0-255 are the bytes (id == byte value), then one token per
    merge, then the three control tokens."""
    byte_map = bytes_to_unicode()
    tokens = [byte_map[b] for b in range(256)]
    known = set(tokens)
    for merge in _MERGES:
        left, right = merge.split(" ")
        merged = left + right
        # A bad merge would make llama.cpp tokenize silently differently.
        if left not in known or right not in known or merged in known:
            raise ValueError(f"invalid demo merge {merge!r}")
        tokens.append(merged)
        known.add(merged)
    n_normal = len(tokens)
    tokens += [BOS_TOKEN, IM_START, IM_END]
    types = [TOKEN_NORMAL] * n_normal + [TOKEN_CONTROL] * 3
    readable = [0x20 <= i < 0x7F or i == 0x0A or 256 <= i < n_normal for i in range(len(tokens))]
    return DemoVocab(
        tokens=tuple(tokens),
        token_types=tuple(types),
        merges=_MERGES,
        bos_id=tokens.index(BOS_TOKEN),
        eos_id=tokens.index(IM_END),
        im_start_id=tokens.index(IM_START),
        chat_template=CHATML_TEMPLATE,
        readable=tuple(readable),
    )
