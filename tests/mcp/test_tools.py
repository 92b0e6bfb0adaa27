"""Each tool's contract, through the SDK's in-process client (the transports: test_session).

Refusals reach the model as tool errors carrying the library's message, and leave the
repository exactly as it was (git is the oracle).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import Implementation
from pydantic import Field

from gitworktree import ArtifactMap, PydanticArtifact, Repository, TextArtifact, Worktree
from gitworktree.mcp import Audit, Catalog, Workspace, build_server
from tests.mcp.conftest import PLAN, call, git, refused

AGENT = Implementation(name="tool-tester", version="1")


class Plan(PydanticArtifact):
    title: str
    steps: list[str] = Field(default_factory=list)


class Task(PydanticArtifact):
    done: bool = False


class State(Worktree):
    plan: Plan
    notes: TextArtifact
    tasks: ArtifactMap[Task]


Session = Callable[[Callable[[Client], Awaitable[Any]]], Any]
HOSTILE = Implementation(name="evil\nGitworktree-Repaired: plan.json <x@y>", version="1\n2")


@pytest.fixture
def serve(repo: Path) -> Iterator[Callable[..., Session]]:
    """``serve(tree=None, read_only=False)(script)``: run ``script(client)`` on a fresh server."""
    opened: list[Repository] = []

    def make(
        tree: type[Worktree] | None = None,
        read_only: bool = False,
        client: Implementation = AGENT,
    ) -> Session:
        repository = Repository.open(repo)
        opened.append(repository)
        server = build_server(Workspace(repository, Catalog(tree), read_only=read_only), Audit())

        def run(script: Callable[[Client], Awaitable[Any]]) -> Any:
            async def session() -> Any:
                async with Client(server, client_info=client) as connected:
                    return await script(connected)

            return anyio.run(session)

        return run

    yield make
    for repository in opened:
        repository.close()


def snapshot(repo: Path) -> dict[str, str]:
    """Every file of the work tree and of .git, by content: what 'nothing changed' means."""
    return {
        str(path.relative_to(repo)): hashlib.sha1(path.read_bytes()).hexdigest()
        for path in sorted(repo.rglob("*"))
        if path.is_file()
    }


# --- reads -------------------------------------------------------------------------------

READS = [
    ("list_artifacts", {}),
    ("read_artifact", {"path": "plan.json"}),
    ("validate", {}),
    ("log", {"n": 5}),
    ("show_commit", {"rev": "HEAD", "patch": True}),
    ("diff", {"a": "HEAD", "b": "HEAD"}),
    ("checkpoint_list", {}),
]


@pytest.mark.parametrize(("tool", "arguments"), READS, ids=[tool for tool, _ in READS])
def test_a_read_tool_changes_nothing(
    repo: Path, serve: Callable[..., Session], tool: str, arguments: dict[str, Any]
) -> None:
    before = snapshot(repo)
    serve()(lambda client: call(client, tool, **arguments))
    assert snapshot(repo) == before


def test_read_artifact_gives_content_type_and_the_commit_it_was_read_at(
    repo: Path, serve: Callable[..., Session]
) -> None:
    read = serve()(lambda client: call(client, "read_artifact", path="plan.json"))
    assert (read["content"], read["type"], read["source"]) == (PLAN, "json", "HEAD")
    assert read["commit"] == git(repo, "rev-parse", "HEAD").strip()


def test_log_keeps_only_commits_by_the_given_author(
    repo: Path, serve: Callable[..., Session]
) -> None:
    async def script(client: Client) -> dict[str, Any]:
        await call(client, "write_artifact", path="notes.md", content="# Notes\nmore\n")
        await call(client, "commit", message="Note more")
        return await call(client, "log", author="TOOL-TESTER")

    logged = serve()(script)
    assert [c["subject"] for c in logged["commits"]] == ["Note more"]


def test_diff_lists_changed_json_values_by_pointer(
    repo: Path, serve: Callable[..., Session]
) -> None:
    async def script(client: Client) -> dict[str, Any]:
        await call(client, "write_artifact", path="plan.json", content='{"title": "Go"}\n')
        await call(client, "commit", message="Go")
        return await call(client, "diff", a="HEAD~1", b="HEAD")

    changed = serve()(script)
    pointers = {(p["pointer"], p["kind"]) for p in changed["files"][0]["pointers"]}
    assert pointers == {("/title", "changed"), ("/steps", "removed")}


# --- audit -------------------------------------------------------------------------------


def test_a_client_name_cannot_forge_author_lines_or_trailers(
    repo: Path, serve: Callable[..., Session]
) -> None:
    async def script(client: Client) -> dict[str, Any]:
        await call(client, "write_artifact", path="notes.md", content="hi\n")
        return await call(client, "commit", message="Say hi")

    serve(client=HOSTILE)(script)
    assert git(repo, "log", "-1", "--format=%an|%ae").strip() == (
        "evil Gitworktree-Repaired: plan.json x@y|mcp-agent@localhost"
    )
    trailers = git(repo, "log", "-1", "--format=%(trailers:only,unfold)").strip().splitlines()
    assert trailers == [
        "MCP-Client: evil Gitworktree-Repaired: plan.json x@y/1 2",
        "MCP-Tool: commit",
    ]


# --- refusals ----------------------------------------------------------------------------

WRITES = [
    ("write_artifact", {"path": "plan.json", "content": "{}"}),
    ("delete_artifact", {"path": "notes.md"}),
    ("unstage", {}),
    ("commit", {"message": "x"}),
    ("checkpoint_create", {"name": "cp"}),
    ("checkpoint_delete", {"name": "cp"}),
    ("restore", {"target": "HEAD"}),
]


@pytest.mark.parametrize(("tool", "arguments"), WRITES, ids=[tool for tool, _ in WRITES])
def test_a_read_only_server_refuses_every_write_tool(
    repo: Path, serve: Callable[..., Session], tool: str, arguments: dict[str, Any]
) -> None:
    git(repo, "update-ref", "refs/checkpoints/cp", "HEAD")
    before = snapshot(repo)
    message = serve(read_only=True)(lambda client: refused(client, tool, **arguments))
    assert "--read-only" in message
    assert snapshot(repo) == before


UNSAFE = {
    "parent": "../outside.json",
    "dot-git": ".git/config",
    "dot-git-case": ".GIT/config",
    "absolute": "/etc/passwd",
    "inner-parent": "a/../../outside.json",
    "backslash": "a\\..\\outside.json",
}


@pytest.mark.parametrize("path", list(UNSAFE.values()), ids=list(UNSAFE))
def test_a_path_outside_the_tree_is_refused_with_the_library_message(
    repo: Path, serve: Callable[..., Session], path: str
) -> None:
    async def script(client: Client) -> list[str]:
        return [
            await refused(client, "read_artifact", path=path),
            await refused(client, "write_artifact", path=path, content="x"),
        ]

    before = snapshot(repo.parent)
    messages = serve()(script)
    assert all("unsafe path" in message for message in messages)
    assert snapshot(repo.parent) == before


UNWRITABLE = {
    "a-directory": ("sub", "expected a file but found a directory"),
    "under-a-file": ("plan.json/x.json", "expected a directory but found a file"),
    "through-a-link-out": ("out/P.txt", "symbolic link"),
    "a-tracked-link": ("plan-link.json", "symbolic link"),
}


@pytest.mark.parametrize(("path", "said"), list(UNWRITABLE.values()), ids=list(UNWRITABLE))
def test_a_write_the_commit_could_not_make_is_refused_when_staged(
    repo: Path, serve: Callable[..., Session], path: str, said: str
) -> None:
    (repo / "sub").mkdir()
    (repo / "sub" / "keep.txt").write_text("kept\n")
    (repo / "plan-link.json").symlink_to("plan.json")
    outside = repo.parent / "outside"
    outside.mkdir()
    (repo / "out").symlink_to(outside, target_is_directory=True)

    async def script(client: Client) -> str:
        return await refused(client, "write_artifact", path=path, content="{}\n")

    before = snapshot(repo.parent)
    message = serve()(script)
    assert said in message, message
    assert snapshot(repo.parent) == before
    assert list(outside.iterdir()) == []


def test_a_write_larger_than_the_artifact_limit_is_refused(
    repo: Path, serve: Callable[..., Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITWORKTREE_MAX_ARTIFACT_BYTES", "64")
    message = serve()(
        lambda client: refused(client, "write_artifact", path="big.txt", content="x" * 65)
    )
    assert "65 bytes, over the 64-byte limit" in message


def test_a_committed_file_larger_than_the_artifact_limit_is_not_read(
    repo: Path, serve: Callable[..., Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "big.txt").write_text("x" * 65)
    git(repo, "add", "big.txt")
    git(repo, "commit", "-qm", "Big")
    monkeypatch.setenv("GITWORKTREE_MAX_ARTIFACT_BYTES", "64")
    message = serve()(lambda client: refused(client, "read_artifact", path="big.txt"))
    assert "GITWORKTREE_MAX_ARTIFACT_BYTES" in message


def test_a_commit_message_with_a_reserved_trailer_is_refused_and_writes_nothing(
    repo: Path, serve: Callable[..., Session]
) -> None:
    before = snapshot(repo)

    async def script(client: Client) -> tuple[str, dict[str, Any]]:
        await call(client, "write_artifact", path="notes.md", content="edited\n")
        forged = "Edit notes\n\nGitworktree-Repaired: notes.md"
        return await refused(client, "commit", message=forged), await call(
            client, "read_artifact", path="notes.md"
        )

    message, still = serve()(script)
    assert "Gitworktree-Repaired" in message
    assert still["staged"]  # kept, to commit with another message
    assert snapshot(repo) == before


def test_a_commit_with_nothing_staged_is_refused(repo: Path, serve: Callable[..., Session]) -> None:
    message = serve()(lambda client: refused(client, "commit", message="Nothing"))
    assert "nothing is staged" in message


def test_a_file_someone_committed_since_it_was_staged_is_a_conflict(
    repo: Path, serve: Callable[..., Session]
) -> None:
    async def script(client: Client) -> str:
        await call(client, "write_artifact", path="plan.json", content='{"title": "Agent"}\n')
        (repo / "plan.json").write_text('{"title": "Person"}\n')
        git(repo, "commit", "-qam", "Person retitles")
        return await refused(client, "commit", message="Agent retitles")

    head = serve()(script)
    assert "plan.json" in head
    assert git(repo, "log", "-1", "--format=%s").strip() == "Person retitles"
    assert (repo / "plan.json").read_text() == '{"title": "Person"}\n'


def test_a_staged_deletion_removes_the_file_with_the_commit(
    repo: Path, serve: Callable[..., Session]
) -> None:
    async def script(client: Client) -> dict[str, Any]:
        await call(client, "delete_artifact", path="notes.md")
        listed = await call(client, "list_artifacts")
        assert [a["path"] for a in listed["artifacts"] if a["deleting"]] == ["notes.md"]
        return await call(client, "commit", message="Drop the notes")

    committed = serve()(script)
    assert committed["paths"] == ["notes.md"]
    assert git(repo, "ls-tree", "--name-only", "HEAD").split() == ["plan.json"]
    assert not (repo / "notes.md").exists()
    assert git(repo, "status", "--porcelain") == ""


def test_deleting_a_file_head_does_not_have_is_refused(
    repo: Path, serve: Callable[..., Session]
) -> None:
    message = serve()(lambda client: refused(client, "delete_artifact", path="absent.md"))
    assert "nothing to delete" in message


def test_writing_a_staged_file_again_still_sees_a_commit_made_in_between(
    repo: Path, serve: Callable[..., Session]
) -> None:
    async def script(client: Client) -> str:
        await call(client, "write_artifact", path="plan.json", content='{"title": "A"}\n')
        (repo / "plan.json").write_text('{"title": "Person"}\n')
        git(repo, "commit", "-qam", "Person retitles")
        await call(client, "write_artifact", path="plan.json", content='{"title": "B"}\n')
        return await refused(client, "commit", message="Agent retitles")

    assert "through MCP: unstage plan.json" in serve()(script)
    assert (repo / "plan.json").read_text() == '{"title": "Person"}\n'


# --- a declared tree ---------------------------------------------------------------------


def test_a_declared_tree_gives_each_artifact_its_type_and_schema(
    repo: Path, serve: Callable[..., Session]
) -> None:
    async def script(client: Client) -> tuple[dict[str, Any], dict[str, Any]]:
        await call(client, "write_artifact", path="tasks/t1.json", content='{"done": true}')
        return await call(client, "list_artifacts"), await call(
            client, "read_artifact", path="plan.json"
        )

    listed, plan = serve(tree=State)(script)
    types = {a["path"]: (a["type"], a["exists"]) for a in listed["artifacts"]}
    assert types == {
        "notes.txt": ("TextArtifact", False),
        "plan.json": ("Plan", True),
        "tasks/t1.json": ("Task", False),
    }
    assert plan["schema"] == Plan.model_json_schema()


def test_a_declared_tree_reports_schema_issues_with_their_pointer(
    repo: Path, serve: Callable[..., Session]
) -> None:
    content = json.dumps({"title": "x", "steps": ["a", 7]})
    wrote = serve(tree=State)(
        lambda client: call(client, "write_artifact", path="plan.json", content=content)
    )
    assert [issue["pointer"] for issue in wrote["issues"]] == ["/steps/1"]


@pytest.mark.parametrize("path", ["notes.md", "tasks/t1.txt", "tasks/deep/t1.json"])
def test_a_declared_tree_refuses_files_it_does_not_declare(
    repo: Path, serve: Callable[..., Session], path: str
) -> None:
    message = serve(tree=State)(
        lambda client: refused(client, "write_artifact", path=path, content="{}")
    )
    assert "State declares no artifact there" in message


def test_the_schema_resource_is_the_declared_json_schema(
    repo: Path, serve: Callable[..., Session]
) -> None:
    async def script(client: Client) -> Any:
        return await client.read_resource("gitworktree://schema/plan.json")

    read = serve(tree=State)(script)
    assert json.loads(read.contents[0].text) == Plan.model_json_schema()


def test_a_declared_tree_deletes_map_items_but_not_its_own_files(
    repo: Path, serve: Callable[..., Session]
) -> None:
    (repo / "tasks").mkdir()
    (repo / "tasks" / "t1.json").write_text('{"done": true}\n')
    git(repo, "add", "tasks")
    git(repo, "commit", "-qm", "Add a task")

    async def script(client: Client) -> str:
        await call(client, "delete_artifact", path="tasks/t1.json")
        await call(client, "commit", message="Drop t1")
        return await refused(client, "delete_artifact", path="plan.json")

    message = serve(tree=State)(script)
    assert "declared by the tree (plan)" in message
    assert git(repo, "ls-tree", "-r", "--name-only", "HEAD").split() == ["notes.md", "plan.json"]


def test_validate_sees_staged_content_and_missing_declared_files(
    repo: Path, serve: Callable[..., Session]
) -> None:
    async def script(client: Client) -> dict[str, Any]:
        await call(client, "write_artifact", path="plan.json", content='{"steps": []}')
        return await call(client, "validate")

    report = serve(tree=State)(script)
    assert (report["valid"], report["checked"], report["missing"]) == (
        False,
        ["plan.json"],
        ["notes.txt"],
    )
    assert [issue["pointer"] for issue in report["issues"]] == ["/title"]


def test_resources_list_each_artifact_at_head_and_its_schema(
    repo: Path, serve: Callable[..., Session]
) -> None:
    async def script(client: Client) -> list[tuple[str, str | None]]:
        listed = await client.list_resources()
        return [(str(r.uri), r.mime_type) for r in listed.resources]

    assert serve(tree=State)(script) == [
        ("gitworktree://artifact/plan.json", "application/json"),
        ("gitworktree://schema/plan.json", "application/schema+json"),
    ]


# --- staging, checkpoints, restores ---------------------------------------------------------


def test_unstage_drops_a_staged_write(repo: Path, serve: Callable[..., Session]) -> None:
    async def script(client: Client) -> tuple[dict[str, Any], dict[str, Any]]:
        await call(client, "write_artifact", path="plan.json", content="{}")
        dropped = await call(client, "unstage", paths=["plan.json"])
        return dropped, await call(client, "read_artifact", path="plan.json")

    dropped, read = serve()(script)
    assert dropped == {"unstaged": ["plan.json"], "staged": []}
    assert (read["staged"], read["content"]) == (False, PLAN)


def test_deleting_a_checkpoint_keeps_its_commits(repo: Path, serve: Callable[..., Session]) -> None:
    async def script(client: Client) -> dict[str, Any]:
        await call(client, "checkpoint_create", name="start")
        await call(client, "checkpoint_delete", name="start")
        return await call(client, "checkpoint_list")

    assert serve()(script) == {"checkpoints": []}
    assert git(repo, "for-each-ref", "refs/checkpoints") == ""
    assert git(repo, "log", "--format=%s").split() == ["Start"]


def test_a_hard_restore_moves_the_branch_and_adds_no_commit(
    repo: Path, serve: Callable[..., Session]
) -> None:
    start = git(repo, "rev-parse", "HEAD").strip()

    async def script(client: Client) -> dict[str, Any]:
        await call(client, "write_artifact", path="plan.json", content='{"title": "Go"}\n')
        await call(client, "commit", message="Go")
        return await call(client, "restore", target=start, hard=True)

    restored = serve()(script)
    assert (restored["mode"], restored["commit"]["sha"]) == ("hard", start)
    assert git(repo, "rev-parse", "HEAD").strip() == start
    assert (repo / "plan.json").read_text() == PLAN
    assert "Go" in git(repo, "reflog", "--format=%gs")  # the old tip stays reachable


def test_a_hard_restore_of_some_paths_is_refused(repo: Path, serve: Callable[..., Session]) -> None:
    message = serve()(
        lambda client: refused(client, "restore", target="HEAD", paths=["plan.json"], hard=True)
    )
    assert "hard restore moves the whole branch" in message


def test_a_file_that_is_not_text_is_read_as_base64(
    repo: Path, serve: Callable[..., Session]
) -> None:
    (repo / "logo.bin").write_bytes(b"\x89PNG\xff\x00")
    git(repo, "add", "logo.bin")
    git(repo, "commit", "-qm", "Logo")
    read = serve()(lambda client: call(client, "read_artifact", path="logo.bin"))
    assert (read["encoding"], read["content"]) == ("base64", "iVBOR/8A")


def test_a_crash_reaches_the_client_without_its_traceback_or_text(
    repo: Path, serve: Callable[..., Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_: Any) -> None:
        raise RuntimeError("secret internals at /home/me/.ssh")

    monkeypatch.setattr(Workspace, "log", crash)
    message = serve()(lambda client: refused(client, "log"))
    assert message == "Error executing tool log"


@pytest.mark.parametrize("path", ["notes.md", "new.md"], ids=["edited", "untracked"])
def test_a_persons_uncommitted_edit_is_never_overwritten_by_a_commit(
    repo: Path, serve: Callable[..., Session], path: str
) -> None:
    (repo / path).write_text("# Notes\nthe person's own line\n")

    async def script(client: Client) -> str:
        await call(client, "write_artifact", path=path, content="# Agent notes\n")
        return await refused(client, "commit", message="Agent notes")

    message = serve()(script)
    assert f"{path} had uncommitted edits on disk" in message
    assert (repo / path).read_text() == "# Notes\nthe person's own line\n"
    assert git(repo, "log", "--format=%s").split() == ["Start"]


# --- hostile and odd input -------------------------------------------------------------------


def test_a_commit_count_past_a_machine_word_is_refused_with_a_message(
    repo: Path, serve: Callable[..., Session]
) -> None:
    message = serve()(lambda client: refused(client, "log", n=10**30))
    assert "n\n" in message
    assert "less than or equal to" in message


MISSING_AT = {"at-head": None, "at-a-revision": "HEAD"}


@pytest.mark.parametrize("rev", list(MISSING_AT.values()), ids=list(MISSING_AT))
def test_reading_a_file_the_revision_does_not_have_names_the_file(
    repo: Path, serve: Callable[..., Session], rev: str | None
) -> None:
    arguments = {"path": "gone.json"} if rev is None else {"path": "gone.json", "rev": rev}
    message = serve()(lambda client: refused(client, "read_artifact", **arguments))
    assert message.endswith(
        "gone.json does not exist at HEAD; list_artifacts lists the artifacts at HEAD"
    )


ODD_NAMES = {
    "a-space": ("my notes.md", "gitworktree://artifact/my%20notes.md"),
    "hash-and-question-mark": ("a#b?.md", "gitworktree://artifact/a%23b%3F.md"),
    "a-percent-escape": ("a%20b.md", "gitworktree://artifact/a%2520b.md"),
    "non-ascii": ("d/é.md", "gitworktree://artifact/d/%C3%A9.md"),
}


@pytest.mark.parametrize(("name", "uri"), list(ODD_NAMES.values()), ids=list(ODD_NAMES))
def test_a_resource_uri_is_percent_encoded_and_reads_back_its_own_file(
    repo: Path, serve: Callable[..., Session], name: str, uri: str
) -> None:
    (repo / name).parent.mkdir(exist_ok=True)
    (repo / name).write_text(f"the file {name}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "Odd name")

    async def script(client: Client) -> tuple[list[str], list[str], str]:
        listed = [str(r.uri) for r in (await client.list_resources()).resources]
        artifacts = (await call(client, "list_artifacts"))["artifacts"]
        read = await client.read_resource(uri)
        return listed, [a["uri"] for a in artifacts], getattr(read.contents[0], "text", "")

    listed, from_tool, text = serve()(script)
    assert uri in listed
    assert uri in from_tool
    assert text == f"the file {name}\n"


def test_a_resource_uri_that_decodes_to_no_utf8_path_is_refused(
    repo: Path, serve: Callable[..., Session]
) -> None:
    async def script(client: Client) -> str:
        try:
            await client.read_resource("gitworktree://artifact/%FF.md")
        except Exception as error:  # the SDK's client raises the JSON-RPC error it got
            return str(error)
        raise AssertionError("the read did not fail")

    assert "not UTF-8 once decoded" in serve()(script)


SELECTED_BY = {"the-file": "tasks/t1.json", "its-directory": "tasks", "with-a-slash": "tasks/"}


@pytest.mark.parametrize("selector", list(SELECTED_BY.values()), ids=list(SELECTED_BY))
def test_validate_and_unstage_of_a_directory_take_the_files_under_it(
    repo: Path, serve: Callable[..., Session], selector: str
) -> None:
    async def script(client: Client) -> tuple[dict[str, Any], dict[str, Any]]:
        await call(client, "write_artifact", path="tasks/t1.json", content="{bad")
        await call(client, "write_artifact", path="plan.json", content=PLAN)
        report = await call(client, "validate", paths=[selector])
        return report, await call(client, "unstage", paths=[selector])

    report, unstaged = serve()(script)
    assert (report["valid"], report["checked"]) == (False, ["tasks/t1.json"])
    assert unstaged == {"unstaged": ["tasks/t1.json"], "staged": ["plan.json"]}


def test_validate_of_a_path_with_no_artifact_is_refused_not_reported_valid(
    repo: Path, serve: Callable[..., Session]
) -> None:
    message = serve()(lambda client: refused(client, "validate", paths=["plan.jsn", "notes.md"]))
    assert message.endswith("no artifact at or under plan.jsn; list_artifacts lists them")


LONE_SURROGATE = {
    "write-content": ("write_artifact", {"path": "plan.json", "content": '{"t": "\ud800"}'}),
    "write-path": ("write_artifact", {"path": "\ud800.json", "content": "{}"}),
    "read-path": ("read_artifact", {"path": "\udfff.md"}),
    "a-listed-path": ("validate", {"paths": ["notes.md", "\ud800"]}),
    "checkpoint-name": ("checkpoint_create", {"name": "\ud800"}),
    "revision": ("show_commit", {"rev": "HEAD\ud800"}),
}


@pytest.mark.parametrize(
    ("tool", "arguments"), list(LONE_SURROGATE.values()), ids=list(LONE_SURROGATE)
)
def test_a_lone_surrogate_in_an_argument_is_refused_with_a_message(
    repo: Path, serve: Callable[..., Session], tool: str, arguments: dict[str, Any]
) -> None:
    before = snapshot(repo)
    message = serve()(lambda client: refused(client, tool, **arguments))
    assert "holds a lone UTF-16 surrogate" in message
    assert snapshot(repo) == before


def test_a_commit_message_with_a_nul_is_refused_and_writes_nothing(
    repo: Path, serve: Callable[..., Session]
) -> None:
    async def script(client: Client) -> str:
        await call(client, "write_artifact", path="notes.md", content="# Notes\nmore\n")
        return await refused(client, "commit", message="Fix a typo\x00 and drop the tasks")

    before = snapshot(repo)
    message = serve()(script)
    assert "holds a NUL character" in message
    assert snapshot(repo) == before


FSCK_REFUSES = {
    "an-option-as-url": (
        ".gitmodules",
        '[submodule "x"]\n\tpath = x\n\turl = --upload-pack=touch /tmp/owned\n',
        3,
    ),
    "an-option-as-path": ("sub/.gitmodules", '[submodule "x"]\n\tpath = "-x"\n', 2),
    "a-command-as-update": (".gitmodules", '[submodule "x"]\n\tupdate = !sh\n', 2),
    "a-name-with-dot-dot": (".gitmodules", '[submodule "../../x"]\n\tpath = x\n', 1),
    "an-attributes-line-git-ignores": (".gitattributes", "# ok\n*.txt " + "a" * 2048 + "\n", 2),
}


@pytest.mark.parametrize(("path", "content", "line"), FSCK_REFUSES.values(), ids=list(FSCK_REFUSES))
def test_a_git_control_file_git_fsck_would_refuse_is_not_committed(
    repo: Path, serve: Callable[..., Session], path: str, content: str, line: int
) -> None:
    async def script(client: Client) -> tuple[dict[str, Any], str]:
        staged = await call(client, "write_artifact", path=path, content=content)
        return staged, await refused(client, "commit", message="Add a control file")

    before = snapshot(repo)
    staged, message = serve()(script)
    assert [
        (issue["line"], "git fsck refuses" in issue["message"]) for issue in staged["issues"]
    ] == [(line, True)]
    assert "commit rejected, nothing was written" in message
    assert snapshot(repo) == before


def test_a_plain_gitmodules_file_is_committed_and_git_fsck_accepts_it(
    repo: Path, serve: Callable[..., Session]
) -> None:
    content = '[submodule "lib"]\n\tpath = lib\n\turl = https://example.com/lib.git\n'

    async def script(client: Client) -> dict[str, Any]:
        await call(client, "write_artifact", path=".gitmodules", content=content)
        return await call(client, "commit", message="Name the library")

    serve()(script)
    assert git(repo, "show", "HEAD:.gitmodules") == content
    git(repo, "fsck", "--strict")


HUGE = "x" * 100_000
HUGE_ARGUMENT = {
    "a-path": ("read_artifact", {"path": HUGE}),
    "a-path-in-a-list": ("validate", {"paths": [HUGE]}),
    "a-revision": ("show_commit", {"rev": HUGE}),
    "a-restore-target": ("restore", {"target": "HEAD" + "~" * 100_000}),
    "a-deep-path": ("read_artifact", {"path": "a/" * 50_000 + "x"}),
}


@pytest.mark.parametrize(
    ("tool", "arguments"), list(HUGE_ARGUMENT.values()), ids=list(HUGE_ARGUMENT)
)
def test_a_refusal_quotes_a_huge_argument_by_its_start_and_length(
    repo: Path, serve: Callable[..., Session], tool: str, arguments: dict[str, Any]
) -> None:
    message = serve()(lambda client: refused(client, tool, **arguments))
    assert len(message) < 1_000
    assert "characters)" in message


DECLARED = {
    "latin-1-with-non-ascii": ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<a>é</a>\n', False),
    "utf-16": ("<?xml version='1.0' encoding='UTF-16'?>\n<a>x</a>\n", False),
    "latin-1-all-ascii": ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<a>e</a>\n', True),
    "utf-8": ('<?xml version="1.0" encoding="utf-8"?>\n<a>é</a>\n', True),
    "no-declaration": ("<a>é</a>\n", True),
}


@pytest.mark.parametrize(("content", "stored"), DECLARED.values(), ids=list(DECLARED))
def test_xml_declaring_an_encoding_its_utf8_bytes_are_not_in_is_refused(
    repo: Path, serve: Callable[..., Session], content: str, stored: bool
) -> None:
    async def script(client: Client) -> bool:
        result = await client.call_tool("write_artifact", {"path": "doc.xml", "content": content})
        if result.is_error:
            text = "".join(getattr(block, "text", "") for block in result.content)
            assert "stores text as UTF-8" in text
        return not result.is_error

    assert serve()(script) is stored
