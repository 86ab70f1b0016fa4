"""A small Hugging Face Hub look-alike on 127.0.0.1 for the hub/download tests.

Serves the endpoints huggingface_hub and our byte loop call:
  GET /api/models                        search (filter/search/author/sort/limit)
  GET /api/models/{repo}[/revision/{r}]  model info with siblings (size, blobId, lfs oid)
  GET /{repo}/resolve/{rev}/{file}       file bytes, Range, ETag, X-Repo-Commit, X-Linked-*
and can misbehave on request: fixed HTTP statuses, a dropped connection
mid-body, a wrong advertised hash, extra advertised names, slow bodies. With
cdn_host set, resolve redirects to /cdn/ on another host name, as the Hub does.
Every body it sends is logged as (file, start, bytes_sent).
"""

from __future__ import annotations

import hashlib
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

COMMIT = "c0ffee" * 6 + "c0ff"  # 40 hex chars
DEMO_REPO = "demo-org/workbench-tiny-GGUF"


@dataclass
class FakeRepo:
    repo_id: str
    files: dict[str, bytes]
    downloads: int = 0
    likes: int = 0
    last_modified: str = "2024-01-01T00:00:00.000Z"
    advertised_sha: dict[str, str] = field(default_factory=dict)  # override: a wrong hash
    extra_names: dict[str, bytes] = field(default_factory=dict)  # listed AND served, e.g. "../x.gguf"


class FakeHub:
    def __init__(self) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self.statuses: dict[str, list[int]] = {}  # path prefix -> statuses to answer first (consumed)
        self.drop_after: dict[str, int] = {}  # file -> drop the connection after this many bytes (once)
        self.chunk_delay_s = 0.0  # per write, to make a transfer slow enough to kill mid-way
        self.write_size = 65536
        self.tls = False
        self.cdn_host: str | None = None  # e.g. "localhost": resolve answers 302 to http://HOST:PORT/cdn/...
        self.auth_seen: list[tuple[str, bool]] = []  # (path, had an Authorization header)
        self._sha_cache: dict[int, tuple[bytes, str]] = {}
        self.served: list[tuple[str, int, int]] = []
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.server.server_address[1]}"

    def use_tls(self, certfile: str, keyfile: str) -> None:
        """Serve HTTPS with this certificate (before start())."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.tls = True

    def add(self, repo: FakeRepo) -> FakeRepo:
        self.repos[repo.repo_id] = repo
        return repo

    def start(self) -> FakeHub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def sha256(self, data: bytes) -> str:
        """Cached per body object: hashing a GiB file on every request would time the server, not the client."""
        cached = self._sha_cache.get(id(data))
        if cached is None or cached[0] is not data:
            cached = (data, hashlib.sha256(data).hexdigest())
            self._sha_cache[id(data)] = cached
        return cached[1]

    def bytes_served(self, filename: str) -> int:
        return sum(n for f, _, n in self.served if f == filename)

    def _take_status(self, path: str) -> int | None:
        with self._lock:
            for prefix, queue in self.statuses.items():
                if path.startswith(prefix) and queue:
                    return queue.pop(0)
        return None

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_HEAD(self):
                self._route(head=True)

            def do_GET(self):
                self._route(head=False)

            def _json(self, status, payload, extra=None):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _route(self, head):
                url = urlparse(self.path)
                path = unquote(url.path)
                hub.requests.append(self.path)
                hub.auth_seen.append((path, "Authorization" in self.headers))
                status = hub._take_status(path)
                if status is not None:
                    extra = {"Retry-After": "0"} if status == 429 else {}
                    extra["X-Error-Message"] = f"fake error {status}"
                    return self._json(status, {"error": f"fake error {status}"}, extra)
                if path == "/api/models":
                    return self._search(parse_qs(url.query))
                if path.startswith("/api/models/"):
                    rest = path[len("/api/models/"):]
                    repo_id = "/".join(rest.split("/")[:2])
                    return self._info(repo_id)
                if path.startswith("/cdn/"):  # where the Hub's resolve redirects LFS files
                    repo_owner, repo_name, name = path[len("/cdn/"):].split("/", 2)
                    return self._file(f"{repo_owner}/{repo_name}", name, head)
                parts = path.lstrip("/").split("/", 4)
                if len(parts) == 5 and parts[2] == "resolve":
                    if hub.cdn_host:
                        port = hub.server.server_address[1]
                        return self._json(302, {}, {"Location": f"http://{hub.cdn_host}:{port}/cdn/"
                                                                f"{parts[0]}/{parts[1]}/{parts[4]}"})
                    return self._file(f"{parts[0]}/{parts[1]}", parts[4], head)
                return self._json(404, {"error": "not found"})

            def _search(self, q):
                items = list(hub.repos.values())
                text = (q.get("search") or [""])[0].lower()
                author = (q.get("author") or [""])[0]
                items = [r for r in items if text in r.repo_id.lower() and r.repo_id.startswith(author)]
                key = {"downloads": "downloads", "likes": "likes", "lastModified": "last_modified"}
                sort = key.get((q.get("sort") or ["downloads"])[0], "downloads")
                items.sort(key=lambda r: getattr(r, sort), reverse=True)
                limit = int((q.get("limit") or ["1000"])[0])
                self._json(200, [{"id": r.repo_id, "downloads": r.downloads, "likes": r.likes,
                                  "lastModified": r.last_modified, "tags": ["gguf"], "gated": False}
                                 for r in items[:limit]])

            def _info(self, repo_id):
                repo = hub.repos.get(repo_id)
                if repo is None:
                    return self._json(404, {"error": "Repository not found"},
                                      {"X-Error-Code": "RepoNotFound"})
                siblings = []
                for name, data in {**repo.files, **repo.extra_names}.items():
                    sha = repo.advertised_sha.get(name, hub.sha256(data))
                    siblings.append({"rfilename": name, "size": len(data), "blobId": hashlib.sha1(data).hexdigest(),
                                     "lfs": {"sha256": sha, "size": len(data), "pointerSize": 134}})
                self._json(200, {"id": repo_id, "sha": COMMIT, "siblings": siblings, "private": False,
                                 "tags": ["gguf"], "downloads": repo.downloads, "likes": repo.likes})

            def _file(self, repo_id, name, head):
                repo = hub.repos.get(repo_id)
                data = None if repo is None else {**repo.files, **repo.extra_names}.get(name)
                if data is None:
                    return self._json(404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
                start, end = 0, len(data) - 1
                rng = self.headers.get("Range")
                status = 200
                if rng:
                    lo, _, hi = rng.removeprefix("bytes=").partition("-")
                    start, end = int(lo), min(int(hi) if hi else len(data) - 1, len(data) - 1)
                    if start >= len(data):
                        return self._json(416, {"error": "range not satisfiable"})
                    status = 206
                sha = hub.sha256(data)
                self.send_response(status)
                self.send_header("Content-Length", str(end - start + 1))
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("ETag", f'"{sha}"')
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("X-Linked-Etag", f'"{sha}"')
                self.send_header("X-Linked-Size", str(len(data)))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
                self.end_headers()
                if head:
                    return
                body = memoryview(data)[start:end + 1]  # no copy: the benchmark serves GiB files
                limit = hub.drop_after.pop(name, None)
                sent = 0
                try:
                    while sent < len(body):
                        if limit is not None and sent >= limit:
                            self.close_connection = True
                            return  # drop mid-body: the client sees a short read
                        step = hub.write_size if limit is None else min(hub.write_size, limit - sent)
                        piece = body[sent:sent + step]
                        self.wfile.write(piece)
                        sent += len(piece)
                        if hub.chunk_delay_s:
                            time.sleep(hub.chunk_delay_s)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with hub._lock:
                        hub.served.append((name, start, sent))

        return Handler
