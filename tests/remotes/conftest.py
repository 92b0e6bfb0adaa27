"""Fixtures for sharing through a Git host: a bare hub, loopback servers, two agents.

Everything stays on this machine: hubs are bare repositories in ``tmp_path``, served
(when a test wants a network transport) by dulwich's own ``git://`` server or its smart
HTTP WSGI app, bound to 127.0.0.1 on a free port, in a thread stopped after the test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from socketserver import BaseServer
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from dulwich.repo import Repo
from dulwich.server import DictBackend, TCPGitServer
from dulwich.web import make_wsgi_chain

from gitworktree.mounting.remote_sync import clone_and_mount, push
from tests.remotes.models import AgentState

Agents = tuple[AgentState, AgentState]

_NETWORK_ENV = (
    "http_proxy", "https_proxy", "all_proxy", "no_proxy",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
    "GIT_SSH", "GIT_SSH_COMMAND",
)  # fmt: skip


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy and no ssh command from the environment: loopback only."""
    for name in _NETWORK_ENV:
        monkeypatch.delenv(name, raising=False)


def make_hub(path: Path) -> Path:
    """An empty bare repository at ``path``: the shared Git host."""
    Repo.init_bare(path, mkdir=True, default_branch=b"main").close()
    return path


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    """An empty bare repository: the Git host the agents share."""
    return make_hub(tmp_path / "hub.git")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log on stderr."""


@contextmanager
def _running(server: BaseServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, name="git-test-server", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def serve_git_protocol(bare: Path) -> Iterator[str]:
    """Serve ``bare`` over ``git://`` on 127.0.0.1; yields its URL."""
    with Repo(str(bare)) as repo:
        server = TCPGitServer(DictBackend({"/": repo}), "127.0.0.1", 0)
        with _running(server):
            yield f"git://127.0.0.1:{server.server_address[1]}/"


@contextmanager
def serve_smart_http(bare: Path) -> Iterator[str]:
    """Serve ``bare`` over smart HTTP on 127.0.0.1; yields its URL."""
    with Repo(str(bare)) as repo:
        app = make_wsgi_chain(DictBackend({"/": repo}))
        server = make_server(
            "127.0.0.1", 0, app, server_class=WSGIServer, handler_class=_QuietHandler
        )
        with _running(server):
            yield f"http://127.0.0.1:{server.server_address[1]}/"


SERVERS: dict[str, Callable[[Path], AbstractContextManager[str]]] = {
    "git": serve_git_protocol,
    "http": serve_smart_http,
}


@pytest.fixture(params=sorted(SERVERS), ids=sorted(SERVERS))
def served_hub(request: pytest.FixtureRequest, hub: Path) -> Iterator[str]:
    """The URL of the empty hub, served over ``git://`` or smart HTTP on 127.0.0.1."""
    with SERVERS[request.param](hub) as url:
        yield url


def start_agents(url: str, root: Path, **mount_options: object) -> Agents:
    """Two agents on two "machines": the first sets the hub up, the second clones it."""
    first = clone_and_mount(AgentState, root / "planner", url, **mount_options)
    push(first)
    second = clone_and_mount(AgentState, root / "writer", url, **mount_options)
    return first, second


@pytest.fixture
def agents(hub: Path, tmp_path: Path) -> Agents:
    """Two mounted clones of the hub: ``planner`` and ``writer``, at the same commit."""
    return start_agents(str(hub), tmp_path)
