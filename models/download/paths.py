"""Where downloads go: huggingface_hub's cache layout, so files other tools
fetched are reused and files we fetch are visible to them.

  <cache>/models--org--name/blobs/<sha256>              the bytes
  <cache>/models--org--name/snapshots/<commit>/<file>   symlink to the blob
  <cache>/models--org--name/refs/<revision>             the commit
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath

from huggingface_hub import constants

from models.errors import UnsafeFileName


def default_cache_dir() -> Path:
    """Read at call time so HF_HUB_CACHE / HF_HOME set after import still count."""
    return Path(os.environ.get("HF_HUB_CACHE") or constants.HF_HUB_CACHE)


def safe_relpath(filename: str) -> PurePosixPath:
    """The repo file name as a relative path that cannot leave its folder."""
    if not filename or "\x00" in filename or "\\" in filename:
        raise UnsafeFileName(f"refusing file name {filename!r}: empty or contains a NUL or backslash")
    path = PurePosixPath(filename)
    if path.is_absolute() or any(part in ("..", ".", "") for part in filename.split("/")):
        raise UnsafeFileName(f"refusing file name {filename!r}: it would be written outside the model folder")
    return path


def repo_folder(cache_dir: Path, repo_id: str) -> Path:
    if repo_id.count("/") != 1 or ".." in repo_id.split("/"):
        raise UnsafeFileName(f"refusing repo id {repo_id!r}: expected owner/name")
    return cache_dir / ("models--" + repo_id.replace("/", "--"))


def blob_path(cache_dir: Path, repo_id: str, sha256: str) -> Path:
    return repo_folder(cache_dir, repo_id) / "blobs" / sha256


def snapshot_path(cache_dir: Path, repo_id: str, commit: str, filename: str) -> Path:
    target = repo_folder(cache_dir, repo_id) / "snapshots" / commit / safe_relpath(filename)
    # Belt and braces: the resolved parent must stay under the snapshot folder.
    root = (repo_folder(cache_dir, repo_id) / "snapshots" / commit).resolve()
    if not target.parent.resolve().is_relative_to(root):
        raise UnsafeFileName(f"refusing file name {filename!r}: it would be written outside the model folder")
    return target


def link_snapshot(blob: Path, snapshot: Path) -> None:
    """Relative symlink like huggingface_hub makes; hard link or copy where symlinks are refused."""
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    if snapshot.is_symlink() or snapshot.exists():
        snapshot.unlink()
    try:
        snapshot.symlink_to(os.path.relpath(blob, snapshot.parent))
    except OSError:
        try:
            os.link(blob, snapshot)
        except OSError:
            shutil.copy2(blob, snapshot)


def write_ref(cache_dir: Path, repo_id: str, revision: str, commit: str) -> None:
    if revision == commit:
        return
    ref = repo_folder(cache_dir, repo_id) / "refs" / safe_relpath(revision)
    ref.parent.mkdir(parents=True, exist_ok=True)
    ref.write_text(commit)
