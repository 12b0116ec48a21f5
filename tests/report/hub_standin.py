"""A stand-in for the Hugging Face Hub API on 127.0.0.1, for publish tests.

It implements the endpoints ``huggingface_hub`` (2.x, also 0.2x) calls for
``HfApi.create_repo`` and ``HfApi.create_commit`` with regular (non-LFS) files:

    POST /api/repos/create                         create a repo (409 if it exists)
    POST /api/validate-yaml                        check a README.md's YAML header
    POST /api/{type}s/{org}/{name}/preupload/{rev}  upload mode per file: always "regular"
    POST /api/{type}s/{org}/{name}/commit/{rev}     NDJSON commit: header + base64 files

Answering "regular" for every file keeps the LFS / Xet transfer (a storage service of its
own) out of the picture: file contents arrive base64-encoded inside the commit. Every repo,
commit and file is recorded for the test to check, and so is each request's path.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import yaml

_REPO_PATH = re.compile(
    r"^/api/(datasets|models|spaces)/([^/]+)/([^/]+)/(preupload|commit)/([^/?]+)"
)


@dataclass
class Commit:
    summary: str
    description: str
    files: dict[str, bytes]
    oid: str


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    files: dict[str, bytes] = field(default_factory=dict)
    commits: list[Commit] = field(default_factory=list)


class FakeHub:
    """``with FakeHub(token="hf_x") as hub: HfApi(endpoint=hub.endpoint, token="hf_x")...``"""

    def __init__(self, token: str = "hf_standin_token") -> None:
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.requests: list[str] = []
        self.validated: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "use FakeHub as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            state = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    state: FakeHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        self.state.requests.append(f"GET {self.path}")
        self._body()
        self._send(404, {"error": "not implemented by the stand-in"})

    def do_POST(self) -> None:
        hub = self.state
        hub.requests.append(f"POST {self.path}")
        body = self._body()
        if self.headers.get("Authorization") != f"Bearer {hub.token}":
            self._send(401, {"error": "Invalid credentials in Authorization header"})
            return
        if self.path == "/api/repos/create":
            self._create(json.loads(body))
        elif self.path == "/api/validate-yaml":
            content = json.loads(body)["content"]
            hub.validated.append(content)
            head = content.split("---\n", 2)[1] if content.startswith("---\n") else ""
            ok = isinstance(yaml.safe_load(head), dict)
            self._send(200 if ok else 400, {"errors": [] if ok else [{"message": "bad YAML"}],
                                            "warnings": []})  # fmt: skip
        elif m := _REPO_PATH.match(self.path):
            kind, org, name, action, _rev = m.groups()
            repo = hub.repos.get(f"{kind}/{org}/{name}")
            if repo is None:
                self._send(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
            elif action == "preupload":
                files = json.loads(body)["files"]
                self._send(200, {"files": [{"path": f["path"], "uploadMode": "regular",
                                            "shouldIgnore": False} for f in files]})  # fmt: skip
            else:
                self._commit(repo, body)
        else:
            self._send(404, {"error": f"no route {self.path}"})

    def _create(self, payload: dict[str, Any]) -> None:
        kind = payload.get("type") or "model"
        repo_id = f"{payload['organization']}/{payload['name']}"
        key = f"{kind}s/{repo_id}"
        url = f"{self.state.endpoint}/{kind}s/{repo_id}"
        if key in self.state.repos:
            self._send(409, {"error": "You already created this repo", "url": url})
            return
        private = payload.get("visibility") == "private" or payload.get("private") is True
        self.state.repos[key] = Repo(kind, repo_id, private)
        self._send(200, {"url": url, "name": repo_id})

    def _commit(self, repo: Repo, body: bytes) -> None:
        header: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        for line in body.decode().splitlines():
            item = json.loads(line)
            if item["key"] == "header":
                header = item["value"]
            elif item["key"] == "file" and item["value"]["encoding"] == "base64":
                files[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
            else:
                self._send(422, {"error": f"stand-in cannot handle {item['key']}"})
                return
        oid = hashlib.sha1(body).hexdigest()
        repo.commits.append(Commit(header["summary"], header.get("description", ""), files, oid))
        repo.files.update(files)
        url = f"{self.state.endpoint}/{repo.repo_type}s/{repo.repo_id}/commit/{oid}"
        self._send(200, {"success": True, "commitOid": oid, "commitUrl": url,
                         "pullRequestUrl": None})  # fmt: skip
