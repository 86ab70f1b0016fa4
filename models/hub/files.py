"""Plain records describing what the Hub lists: models and repo files."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HubModel:
    repo_id: str
    downloads: int
    likes: int
    last_modified: str | None
    gated: bool


@dataclass(frozen=True)
class HubFile:
    path: str  # as the repo lists it; checked by download_paths before use
    size: int
    sha256: str | None  # the LFS oid; None for small non-LFS files
    blob_id: str | None = None


@dataclass(frozen=True)
class RepoFiles:
    repo_id: str
    commit: str
    files: tuple[HubFile, ...]
