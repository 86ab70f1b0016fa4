"""The legacy ggml file layout of whisper.cpp models (``ggml-*.bin``).

Read from whisper.cpp's ``whisper_model_load`` (src/whisper.cpp) and its
writer ``models/convert-pt-to-ggml.py``. All integers are little-endian int32:

1. magic ``0x67676d6c`` ("ggml");
2. eleven hparams (``HPARAM_NAMES``); ``ftype`` carries the quantization
   version times 1000 on top of the ggml file type;
3. mel filters: n_mel, n_fft, then n_mel * n_fft float32;
4. vocabulary: a count, then per token a uint32 length and its bytes;
5. tensors until end of file: n_dims, name length, ggml type, n_dims sizes
   (ggml order, fastest dimension first), the name, then the data.

``expected_tensors`` lists every tensor whisper.cpp creates for given
hparams, with the ggml shape and type it will read, so the validator and the
demo writer share one source of truth.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

GGML_MAGIC = 0x67676D6C
QNT_VERSION_FACTOR = 1000  # GGML_QNT_VERSION_FACTOR
N_FFT_BINS = 201  # 1 + WHISPER_N_FFT / 2: whisper.cpp's mel filters cover bins 0..Nyquist
N_VOCAB_ENGLISH = 51864  # smallest vocabulary whisper.cpp's special-token ids fit in
N_VOCAB_MULTILINGUAL = 51865  # from here on a model is multilingual (large-v3: 51866)

HPARAM_NAMES = (
    "n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer",
    "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer", "n_mels", "ftype",
)

T = GGMLQuantizationType
# ggml_ftype -> weight type, as ggml_ftype_to_ggml_type maps it. Any other
# value makes ggml abort() (GGML_ASSERT), so the validator refuses it first.
FTYPE_WEIGHT_TYPE: dict[int, GGMLQuantizationType] = {
    0: T.F32, 1: T.F16, 2: T.Q4_0, 3: T.Q4_1, 7: T.Q8_0, 8: T.Q5_0, 9: T.Q5_1,
    10: T.Q2_K, 11: T.Q3_K, 12: T.Q4_K, 13: T.Q5_K, 14: T.Q6_K,
    15: T.IQ2_XXS, 16: T.IQ2_XS, 17: T.IQ3_XXS, 18: T.IQ1_S, 19: T.IQ4_NL,
    20: T.IQ3_S, 21: T.IQ2_S, 22: T.IQ4_XS, 23: T.IQ1_M, 24: T.BF16,
}

# whisper.cpp names models by encoder depth (g_model_name).
MODEL_SIZE_BY_LAYERS = {4: "tiny", 6: "base", 12: "small", 24: "medium", 32: "large"}


@dataclass(frozen=True)
class WhisperHParams:
    n_vocab: int
    n_audio_ctx: int
    n_audio_state: int
    n_audio_head: int
    n_audio_layer: int
    n_text_ctx: int
    n_text_state: int
    n_text_head: int
    n_text_layer: int
    n_mels: int
    ftype: int  # as stored: quantization version * 1000 + ggml ftype

    @property
    def file_type(self) -> int:
        return self.ftype % QNT_VERSION_FACTOR

    @property
    def weight_type(self) -> GGMLQuantizationType | None:
        return FTYPE_WEIGHT_TYPE.get(self.file_type)

    @property
    def multilingual(self) -> bool:
        return self.n_vocab >= N_VOCAB_MULTILINGUAL

    @property
    def size_name(self) -> str:
        name = MODEL_SIZE_BY_LAYERS.get(self.n_audio_layer, "unknown")
        return name + ("-v3" if name == "large" and self.n_vocab == 51866 else "")

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def tensor_nbytes(ggml_type: GGMLQuantizationType, shape: tuple[int, ...]) -> int | None:
    """Bytes of a tensor of ``shape`` (ggml order); None if rows do not fill whole blocks."""
    block, type_size = GGML_QUANT_SIZES[ggml_type]
    if shape[0] % block:
        return None
    n = type_size * (shape[0] // block)
    for dim in shape[1:]:
        n *= dim
    return n


def expected_tensors(hp: WhisperHParams) -> dict[str, tuple[tuple[int, ...], GGMLQuantizationType]]:
    """name -> (ggml shape, ggml type) of every tensor whisper.cpp reads for ``hp``."""
    wtype = hp.weight_type
    if wtype is None:
        raise ValueError(f"unsupported ftype {hp.ftype}")
    f32 = T.F32
    conv = T.F32 if wtype == T.F32 else T.F16  # whisper.cpp's vtype: convolutions stay 16/32-bit
    out: dict[str, tuple[tuple[int, ...], GGMLQuantizationType]] = {}
    na, nt = hp.n_audio_state, hp.n_text_state
    out["encoder.positional_embedding"] = ((na, hp.n_audio_ctx), f32)
    out["encoder.conv1.weight"] = ((3, hp.n_mels, na), conv)
    out["encoder.conv1.bias"] = ((1, na), f32)
    out["encoder.conv2.weight"] = ((3, na, na), conv)
    out["encoder.conv2.bias"] = ((1, na), f32)
    out["encoder.ln_post.weight"] = ((na,), f32)
    out["encoder.ln_post.bias"] = ((na,), f32)
    for i in range(hp.n_audio_layer):
        out.update(_block(f"encoder.blocks.{i}.", na, wtype, cross=False))
    out["decoder.positional_embedding"] = ((nt, hp.n_text_ctx), f32)
    out["decoder.token_embedding.weight"] = ((nt, hp.n_vocab), wtype)
    out["decoder.ln.weight"] = ((nt,), f32)
    out["decoder.ln.bias"] = ((nt,), f32)
    for i in range(hp.n_text_layer):
        out.update(_block(f"decoder.blocks.{i}.", nt, wtype, cross=True))
    return out


def _block(prefix: str, n: int, wtype: GGMLQuantizationType, cross: bool) -> dict:
    f32 = T.F32
    out = {
        f"{prefix}mlp_ln.weight": ((n,), f32),
        f"{prefix}mlp_ln.bias": ((n,), f32),
        f"{prefix}mlp.0.weight": ((n, 4 * n), wtype),
        f"{prefix}mlp.0.bias": ((4 * n,), f32),
        f"{prefix}mlp.2.weight": ((4 * n, n), wtype),
        f"{prefix}mlp.2.bias": ((n,), f32),
    }
    for attn in ("attn", "cross_attn") if cross else ("attn",):
        out.update({
            f"{prefix}{attn}_ln.weight": ((n,), f32),
            f"{prefix}{attn}_ln.bias": ((n,), f32),
            f"{prefix}{attn}.query.weight": ((n, n), wtype),
            f"{prefix}{attn}.query.bias": ((n,), f32),
            f"{prefix}{attn}.key.weight": ((n, n), wtype),
            f"{prefix}{attn}.value.weight": ((n, n), wtype),
            f"{prefix}{attn}.value.bias": ((n,), f32),
            f"{prefix}{attn}.out.weight": ((n, n), wtype),
            f"{prefix}{attn}.out.bias": ((n,), f32),
        })
    return out
