"""The real whisper.cpp models: ggml files in the Hugging Face repo ggerganov/whisper.cpp.

The names are those of whisper.cpp's models/download-ggml-model.sh (each is
``ggml-<name>.bin`` in the repo). tiny, base and small come with q5_1 and
q8_0 files, medium and large with q5_0 and q8_0 (the repo has no q5_1 there).

Downloads go through the Library's downloader (``workbench pull
ggerganov/whisper.cpp ggml-tiny.bin``), which verifies the Hub's SHA-256 for
the file; ``sha1`` is the checksum whisper.cpp's models/README.md publishes,
kept where it lists one. ``approx_bytes`` is computed from the architecture
(every tensor's exact size plus the header and vocabulary of a real file),
which matches the sizes that README lists; the Hub's listing has the exact
figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.errors import WorkbenchError
from models.whisper.format import FTYPE_WEIGHT_TYPE, WhisperHParams, expected_tensors, tensor_nbytes

WHISPER_REPO = "ggerganov/whisper.cpp"

# size -> (width, heads, encoder layers, decoder layers), as in OpenAI's model dims
ARCHITECTURES = {
    "tiny": (384, 6, 4, 4), "base": (512, 8, 6, 6), "small": (768, 12, 12, 12),
    "medium": (1024, 16, 24, 24), "large": (1280, 20, 32, 32), "large-v3-turbo": (1280, 20, 32, 4),
}
# Bytes before the first tensor (magic, hparams, 80x201 mel filters, vocabulary) in
# whisper.cpp's header-only for-tests-ggml-{tiny,tiny.en}.bin.
HEADER_BYTES = {"multilingual": 575451, "english": 586836}

# SHA-1 from whisper.cpp's models/README.md ("Available models"); None where it lists none.
_SHA1 = {
    "tiny": "bd577a113a864445d4c299885e0cb97d4ba92b5f",
    "tiny.en": "c78c86eb1a8faa21b369bcd33207cc90d64ae9df",
    "base": "465707469ff3a37a2b9b8d8f89f2f99de7299dac",
    "base.en": "137c40403d78fd54d454da0f9bd998f78703390c",
    "small": "55356645c2b361a969dfd0ef2c5a50d530afd8d5",
    "small.en": "db8a495a91d927739e50b3fc1cc4c6b8f6c2d022",
    "small.en-tdrz": "b6c6e7e89af1a35c08e6de56b66ca6a02a2fdfa1",
    "medium": "fd9727b6e1217c2f614f9b698455c4ffd82463b4",
    "medium.en": "8c30f0e44ce9560643ebd10bbe50cd20eafd3723",
    "large-v1": "b1caaf735c4cc1429223d5a74f0f4d0b9b59a299",
    "large-v2": "0f4c8e34f21cf1a914c59d8b3ce882345ad349d6",
    "large-v2-q5_0": "00e39f2196344e901b3a2bd5814807a769bd1630",
    "large-v3": "ad82bf6a9043ceed055076d0fd39f5f186ff8062",
    "large-v3-q5_0": "e6e2ed78495d403bef4b7cff42ef4aaadcfea8de",
    "large-v3-turbo": "4af2b29d7ec73d781377bfd1758ca957a807e941",
    "large-v3-turbo-q5_0": "e050f7970618a659205450ad97eb95a18d69c9ee",
}

# whisper.cpp's download-ggml-model.sh list, in its order.
NAMES = (
    "tiny", "tiny.en", "tiny-q5_1", "tiny.en-q5_1", "tiny-q8_0",
    "base", "base.en", "base-q5_1", "base.en-q5_1", "base-q8_0",
    "small", "small.en", "small.en-tdrz", "small-q5_1", "small.en-q5_1", "small-q8_0",
    "medium", "medium.en", "medium-q5_0", "medium.en-q5_0", "medium-q8_0",
    "large-v1", "large-v2", "large-v2-q5_0", "large-v2-q8_0",
    "large-v3", "large-v3-q5_0", "large-v3-turbo", "large-v3-turbo-q5_0", "large-v3-turbo-q8_0",
)

# Offered for download on the Voice page: English models small enough for any machine,
# from the fastest to the most accurate (small.en as q5_1 keeps it under 200 MB).
SUGGESTED = ("tiny.en", "base.en", "base.en-q5_1", "small.en-q5_1")


@dataclass(frozen=True)
class WhisperCatalogEntry:
    name: str  # "tiny", "base.en-q5_1", "large-v3-turbo-q8_0"
    sha1: str | None = None
    repo: str = WHISPER_REPO

    @property
    def file(self) -> str:
        return f"ggml-{self.name}.bin"

    @property
    def model(self) -> str:
        """The model without its quantization: "base.en", "large-v3-turbo"."""
        return self.name.split("-q", 1)[0]

    @property
    def size(self) -> str:
        """tiny, base, small, medium, large or large-v3-turbo (its own architecture)."""
        return "large-v3-turbo" if self.model.startswith("large-v3-turbo") else self.model.split(".")[0].split("-")[0]

    @property
    def english_only(self) -> bool:
        return ".en" in self.model

    @property
    def quant(self) -> str:
        """F16, or the quantization in the name: Q5_0, Q5_1, Q8_0."""
        return "Q" + self.name.split("-q", 1)[1].upper() if "-q" in self.name else "F16"

    @property
    def diarization(self) -> bool:
        """tinydiarize models mark speaker turns."""
        return self.name.endswith("-tdrz")

    def hparams(self) -> WhisperHParams:
        width, heads, enc, dec = ARCHITECTURES[self.size]
        v3 = self.model.startswith("large-v3")  # 128 mel bins and one more language token
        n_vocab = 51864 if self.english_only else (51866 if v3 else 51865)
        ftype = next(f for f, t in FTYPE_WEIGHT_TYPE.items() if t.name == self.quant)
        return WhisperHParams(n_vocab, 1500, width, heads, enc, 448, width, heads, dec, 128 if v3 else 80,
                              ftype + (2000 if self.quant != "F16" else 0))

    @property
    def approx_bytes(self) -> int:
        hp = self.hparams()
        header = HEADER_BYTES["english" if self.english_only else "multilingual"] + (hp.n_mels - 80) * 201 * 4
        tensors = sum(12 + 4 * len(shape) + len(name) + tensor_nbytes(t, shape)
                      for name, (shape, t) in expected_tensors(hp).items())
        return header + tensors

    def pull_command(self) -> str:
        return f"workbench pull {self.repo} {self.file}"


CATALOG: tuple[WhisperCatalogEntry, ...] = tuple(WhisperCatalogEntry(n, _SHA1.get(n)) for n in NAMES)


def catalog_entry(name: str) -> WhisperCatalogEntry:
    """By name ("base.en") or file name ("ggml-base.en.bin")."""
    for entry in CATALOG:
        if name in (entry.name, entry.file):
            return entry
    raise WorkbenchError(f"no whisper model {name!r}; choose from {', '.join(NAMES)}")


def locate(entry: WhisperCatalogEntry, models_dir: Path, cache_dir: Path | None = None) -> Path | None:
    """The downloaded file: newest Hugging Face cache snapshot first, then ``<models dir>/whisper/``."""
    from models.download.paths import default_cache_dir

    snapshots = (cache_dir or default_cache_dir()) / ("models--" + entry.repo.replace("/", "--")) / "snapshots"
    folders = sorted(snapshots.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True) if snapshots.is_dir() else []
    for folder in [*folders, models_dir / "whisper"]:
        if (folder / entry.file).is_file():
            return folder / entry.file
    return None
