"""`bnlint server` as an editor meets it: a real LSP client (pytest-lsp) talking to `python -m bnlint server` over
stdio."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from support import ROOT, run, traps

BUGGY = ROOT / "examples" / "train_buggy.py"
FIXED = ROOT / "examples" / "train_fixed.py"
PROJECT = ROOT / "tests" / "fixtures" / "projects" / "ok_bn003_cross_module_auto_reuse"  # model.py, train.py


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "bnlint", "server"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(capabilities=client_capabilities("visual-studio-code")))
    yield
    await lsp_client.shutdown_session()


async def _published(client: LanguageClient, uri: str, done, timeout: float = 60) -> list[types.Diagnostic]:
    """The diagnostics of `uri` once `done(diagnostics)` holds (publications arrive in their own time)."""

    async def wait() -> list[types.Diagnostic]:
        while uri not in client.diagnostics or not done(client.diagnostics[uri]):
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return list(client.diagnostics[uri])

    return await asyncio.wait_for(wait(), timeout)


def _open(client: LanguageClient, path, text: str) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    return uri


def _change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply edits as an editor does (positions here are ASCII, so code units are characters)."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        return sum(len(line) for line in lines[: position.line]) + position.character

    for edit in sorted(edits, key=lambda edit: (edit.range.start.line, edit.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


async def _actions(client: LanguageClient, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )


async def test_diagnostics_follow_the_buffer_and_a_noqa_action_silences_one(client: LanguageClient, tmp_path):
    path = tmp_path / "train.py"
    shutil.copy(BUGGY, path)
    text = BUGGY.read_text()
    uri = _open(client, path, text)
    published = await _published(client, uri, lambda found: len(found) > 0)
    expected = json.loads(run("bnlint", "check", "--format", "json", str(path)).stdout)
    assert [
        (d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
        for d in published
    ] == [(e["code"], e["line"] - 1, e["column"] - 1, e["end_line"] - 1, e["end_column"] - 1) for e in expected]
    for diagnostic, item in zip(published, expected, strict=True):
        assert diagnostic.message == f"{item['message']}\n{item['help']}" and diagnostic.source == "bnlint"
        assert diagnostic.severity == types.DiagnosticSeverity.Error
        assert diagnostic.code_description.href.endswith(f"/docs/rules/{item['code']}.md")
    tower = next(d for d in published if d.code == "BN003")
    assert tower.related_information and tower.related_information[0].location.range.start.line < tower.range.start.line

    # The noqa action for one finding: after the edit, that finding is gone and the others stay.
    target = next(d for d in published if d.code == "BN004")
    (action,) = [action for action in await _actions(client, uri, target) if action.title == "Add `# noqa: BN004`"]
    assert action.kind == types.CodeActionKind.QuickFix
    text = _apply(text, action.edit.changes[uri])
    _change(client, uri, text, 2)
    remaining = await _published(client, uri, lambda found: len(found) == len(expected) - 1)
    assert sorted(d.code for d in remaining) == ["BN002", "BN003"]

    # The fixed script: everything clears.
    _change(client, uri, FIXED.read_text(), 3)
    assert await _published(client, uri, lambda found: len(found) == 0) == []


async def test_a_change_in_an_imported_module_updates_the_open_script(client: LanguageClient, tmp_path):
    for name in ("model.py", "train.py"):
        shutil.copy(PROJECT / name, tmp_path / name)
    train_uri = _open(client, tmp_path / "train.py", (tmp_path / "train.py").read_text())
    assert await _published(client, train_uri, lambda found: True) == []
    model_text = (tmp_path / "model.py").read_text()
    model_uri = _open(client, tmp_path / "model.py", model_text)
    await _published(client, model_uri, lambda found: True)
    # Dropping the model's AUTO_REUSE scope in the editor (unsaved) makes the script's second call a second tower.
    without_reuse = model_text.replace("with tf.variable_scope('classifier', reuse=tf.AUTO_REUSE):", "if True:")
    assert without_reuse != model_text
    _change(client, model_uri, without_reuse, 2)
    found = await _published(client, train_uri, lambda found: len(found) > 0)
    assert [d.code for d in found] == ["BN003"]
    _change(client, model_uri, model_text, 3)
    assert await _published(client, train_uri, lambda found: len(found) == 0) == []


async def test_ranges_count_utf16_code_units(client: LanguageClient, tmp_path):
    path = tmp_path / "train.py"
    prefix = 'y = {"\U0001f600": 1} and tf.layers.batch_normalization('
    text = f"import tensorflow as tf\n\nx = tf.zeros([4, 3])\n{prefix}x, training=True)\n"
    path.write_text(text, encoding="utf-8")
    uri = _open(client, path, text)
    (diagnostic,) = await _published(client, uri, lambda found: len(found) > 0)
    column = len(prefix) + len("x, ")  # in code points; the emoji takes two UTF-16 units
    assert diagnostic.range.start == types.Position(line=3, character=column + 1)


async def test_a_fix_action_rewrites_the_train_op_and_clears_its_finding(client: LanguageClient, tmp_path):
    path = tmp_path / "train.py"
    text = BUGGY.read_text()
    path.write_text(text)
    uri = _open(client, path, text)
    published = await _published(client, uri, lambda found: len(found) > 0)
    target = next(d for d in published if d.code == "BN002")
    assert target.data == {"fix": json.loads(run("bnlint", "check", "--format", "json", str(path)).stdout)[2]["fix"]}
    actions = await _actions(client, uri, target)
    (fix,) = [action for action in actions if action.title.startswith("Fix BN002")]
    assert fix.is_preferred
    fixed = _apply(text, fix.edit.changes[uri])
    expected = run("bnlint", "check", "--diff", str(path)).stdout
    assert expected and fixed != text
    path.write_text(fixed)
    assert run("bnlint", "check", "--diff", str(path)).stdout == ""  # what --fix would make of it: nothing left
    _change(client, uri, fixed, 2)
    remaining = await _published(client, uri, lambda found: len(found) == len(published) - 1)
    assert sorted(d.code for d in remaining) == ["BN003", "BN004"]
    # A finding without a fix gets only the noqa action.
    tower = next(d for d in remaining if d.code == "BN003")
    assert [action.title for action in await _actions(client, uri, tower)] == ["Add `# noqa: BN003`"]


async def test_the_server_never_runs_the_code_it_reads(client: LanguageClient, tmp_path):
    traces = traps(tmp_path)
    train = tmp_path / "train.py"
    uri = _open(client, train, train.read_text())
    diagnostics = await _published(client, uri, lambda found: bool(found))
    assert [diagnostic.code for diagnostic in diagnostics] == ["BN001"]
    assert sorted(path.name for path in traces.iterdir()) == []


def test_a_diagnostic_message_is_the_short_sentence_then_the_help(monkeypatch):
    """Editors show a message's first line inline and the whole on hover."""
    from bnlint.diagnostic import Diagnostic
    from bnlint.server import BnlintServer

    span = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=2))
    monkeypatch.setattr(BnlintServer, "_range", lambda self, lines, start, end: span)  # no session, no workspace
    server = BnlintServer()
    finding = Diagnostic(str(BUGGY), 1, 1, 1, 3, "BN001", "The short message.", help="Why.\nWhat instead.")
    assert server._diagnostic(BUGGY.as_uri(), ["ab"], finding).message == "The short message.\nWhy.\nWhat instead."
    bare = Diagnostic(str(BUGGY), 1, 1, 1, 3, "BN001", "The short message.")
    assert server._diagnostic(BUGGY.as_uri(), ["ab"], bare).message == "The short message."
