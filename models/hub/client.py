"""Hugging Face Hub client for GGUF repos, on huggingface_hub.

Every failure becomes a HubError with one clear line (see hub_errors). The
endpoint defaults to huggingface_hub's (HF_ENDPOINT), so tests and mirrors
point it elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from huggingface_hub import HfApi, hf_hub_url
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import build_hf_headers, get_session

from models.download.http import BodyResponse, open_stream
from models.errors import HubError, http_error
from models.hub.files import HubFile, HubModel, RepoFiles

SORTS = {"downloads": "downloads", "likes": "likes", "recent": "last_modified"}
TIMEOUT_S = 30.0


class HubClient:
    def __init__(self, endpoint: str | None = None, token: str | None = None) -> None:
        self.api = HfApi(endpoint=endpoint, token=token)
        self.endpoint = self.api.endpoint
        self._token = token

    def search(self, text: str = "", author: str | None = None, sort: str = "downloads",
               limit: int = 50) -> list[HubModel]:
        """Model repos tagged gguf, most downloaded (or liked, or recent) first."""
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; choose from {', '.join(SORTS)}")
        with _hub_errors("search the Hub"):
            found = self.api.list_models(search=text or None, author=author or None, filter="gguf",
                                         sort=SORTS[sort], limit=limit)
            return [HubModel(m.id, m.downloads or 0, m.likes or 0,
                             m.last_modified.isoformat() if m.last_modified else None, bool(m.gated))
                    for m in found]

    def repo_files(self, repo_id: str, revision: str | None = None) -> RepoFiles:
        """Every file with size and LFS SHA-256, and the commit they belong to."""
        with _hub_errors(f"list files of {repo_id}"):
            info = self.api.model_info(repo_id, revision=revision, files_metadata=True)
        files = tuple(
            HubFile(s.rfilename, int(s.size or (s.lfs.size if s.lfs else 0) or 0),
                    s.lfs.sha256 if s.lfs else None, s.blob_id)
            for s in (info.siblings or [])
        )
        if not info.sha:
            raise HubError(f"list files of {repo_id}: the Hub did not say which commit it listed")
        return RepoFiles(repo_id, info.sha, files)

    def file_url(self, repo_id: str, filename: str, revision: str) -> str:
        return hf_hub_url(repo_id, filename, revision=revision, endpoint=self.endpoint)

    def headers(self) -> dict[str, str]:
        """Request headers, with the token when there is one (never logged)."""
        return build_hf_headers(token=self._token)

    def get(self, url: str, headers: dict[str, str]) -> Any:
        """A GET on huggingface_hub's shared httpx client (follows the Hub's CDN redirects)."""
        request = get_session().build_request("GET", url, headers={**self.headers(), **headers},
                                              timeout=TIMEOUT_S)
        return get_session().send(request)

    def open_download(self, url: str, headers: dict[str, str]) -> BodyResponse:
        """A streaming GET for file bytes (see models.download.http for why not httpx)."""
        return open_stream(url, {**self.headers(), **headers})


@contextmanager
def _hub_errors(what: str) -> Iterator[None]:
    try:
        yield
    except HfHubHTTPError as e:
        status = e.response.status_code if e.response is not None else None
        raise (http_error(status, what) if status else HubError(f"{what}: {e}")) from e
    except httpx.TransportError as e:
        raise HubError(f"{what}: cannot reach the Hub ({type(e).__name__}: {e})") from e
