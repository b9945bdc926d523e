"""`bnlint server`: a language server over stdio for editors, on the same engine as `bnlint check`.

It keeps one project for the session: an open document's buffer stands in for its file, and when a buffer changes,
only that module and the modules that import it are analysed again (cross-module findings stay current without
re-parsing the project on every keystroke). Diagnostics carry exact ranges, the code with a link to its
documentation, and related locations; code actions offer `# noqa: BNxxx` and, where one edit is always right, the
fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from bnlint import __version__
from bnlint.config import ConfigError, Configurations, Settings
from bnlint.diagnostic import UNREADABLE, Diagnostic
from bnlint.docs import describe
from bnlint.engine import check_source, fix_source
from bnlint.keras_setting import KerasSetting
from bnlint.noqa import noqa_edits
from bnlint.project import Project
from bnlint.rules import selected_rules

_SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}


class BnlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("bnlint", __version__)
        self.configurations = Configurations()
        # One per set of configured project roots and Keras version.
        self._projects: dict[tuple[tuple[Path, ...], int | None], Project] = {}
        self._found: dict[str, list[Diagnostic]] = {}  # what was last published for each open document
        self._reported_config_errors: set[str] = set()

    # -- documents -------------------------------------------------------------------------------------------

    def document_changed(self, uri: str) -> None:
        """Analyse a document from its buffer, then the open documents that import it."""
        path = _path(uri)
        if path is None:
            return
        forgotten = self._project(path).provide(path, self._text(uri))
        self.publish(uri)
        for other in list(self._found):
            if other != uri and _path(other) in forgotten:
                self.publish(other)

    def document_closed(self, uri: str) -> None:
        """The file on disk stands for the module again; its diagnostics go with the buffer."""
        self._found.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        path = _path(uri)
        if path is not None:
            self.files_changed([path])

    def files_changed(self, paths: list[Path]) -> None:
        """Files changed on disk (or a buffer was closed): read them again, and update the open documents."""
        forgotten: set[Path] = set()
        for path in paths:
            if from_fs_path(str(path)) not in self._found:  # an open document's buffer wins over its file
                forgotten.update(self._project(path).provide(path, None))
        for uri in list(self._found):
            if _path(uri) in forgotten:
                self.publish(uri)

    def publish(self, uri: str) -> None:
        path = _path(uri)
        if path is None:
            return
        document = self.workspace.get_text_document(uri)
        found = self.analyse(path, self._text(uri))
        self._found[uri] = found
        lines = document.lines
        diagnostics = [self._diagnostic(uri, lines, item) for item in found if item.code != UNREADABLE]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))

    def analyse(self, path: Path, text: str) -> list[Diagnostic]:
        settings = self._settings(path)
        rules = selected_rules(settings.selection_for(str(path)))
        return check_source(text, str(path), rules, project=self._project(path))

    # -- code actions ----------------------------------------------------------------------------------------

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        found = self._found.get(uri, [])
        lines = self._text(uri).split("\n")
        actions = []
        for reported in params.context.diagnostics:
            for item in found:
                if _same(item, reported):
                    fix = self._fix_action(uri, item, reported) if item.fix else None
                    actions += [fix] if fix is not None else []
                    actions.append(self._noqa_action(uri, lines, item, reported))
        return actions

    def _fix_action(self, uri: str, item: Diagnostic, reported: types.Diagnostic) -> types.CodeAction | None:
        """The finding's fix as one edit of the lines it changes; the project keeps the buffer as it is."""
        path = _path(uri)
        if path is None:
            return None
        text = self._text(uri)
        project = self._project(path)
        rules = selected_rules(self._settings(path).selection_for(str(path)))
        result = fix_source(text, str(path), rules, project=project, only=item)
        project.provide(path, text)  # the edit is only offered: the buffer is still what the editor holds
        if result.failure is not None or result.text == text:
            return None
        return types.CodeAction(
            title=f"Fix {item.code}: {item.fix}",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[reported],
            is_preferred=True,
            edit=types.WorkspaceEdit(changes={uri: [_line_edit(text, result.text)]}),
        )

    def _noqa_action(
        self, uri: str, lines: list[str], item: Diagnostic, reported: types.Diagnostic
    ) -> types.CodeAction:
        edits = [
            types.TextEdit(
                range=types.Range(
                    start=types.Position(line=number - 1, character=0),
                    end=types.Position(line=number - 1, character=self._units(lines[number - 1])),
                ),
                new_text=text,
            )
            for number, text in noqa_edits(lines, [item]).items()
        ]
        return types.CodeAction(
            title=f"Add `# noqa: {item.code}`",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[reported],
            edit=types.WorkspaceEdit(changes={uri: edits}),
        )

    # -- helpers ---------------------------------------------------------------------------------------------

    def _text(self, uri: str) -> str:
        """The buffer as the engine reads files: universal newlines (columns and lines stay the same)."""
        return self.workspace.get_text_document(uri).source.replace("\r\n", "\n").replace("\r", "\n")

    def _settings(self, path: Path) -> Settings:
        try:
            return self.configurations.settings_for(str(path))
        except ConfigError as exc:
            if str(exc) not in self._reported_config_errors:  # once, not on every keystroke
                self._reported_config_errors.add(str(exc))
                self.window_show_message(
                    types.ShowMessageParams(type=types.MessageType.Error, message=f"bnlint: {exc}")
                )
            return Settings(base=path.parent)

    def _project(self, path: Path) -> Project:
        settings = self._settings(path)
        key = (settings.project_roots, settings.keras_version)
        if key not in self._projects:
            self._projects[key] = Project(roots=settings.project_roots, keras=KerasSetting(settings.keras_version))
        return self._projects[key]

    def _diagnostic(self, uri: str, lines: Sequence[str], item: Diagnostic) -> types.Diagnostic:
        info = describe(item.code)
        related = [
            types.DiagnosticRelatedInformation(
                location=types.Location(
                    uri=uri, range=self._range(lines, (other.line, other.column), (other.line, other.column))
                ),
                message=other.message,
            )
            for other in item.related
        ]
        return types.Diagnostic(
            range=self._range(lines, (item.line, item.column), (item.end_line, item.end_column)),
            # Editors show the first line inline and the whole message on hover: the short sentence, then the help.
            message=item.message if item.help is None else f"{item.message}\n{item.help}",
            severity=_SEVERITY[info.level],
            code=item.code,
            code_description=types.CodeDescription(href=info.help_uri),
            source="bnlint",
            related_information=related or None,
            data={"fix": item.fix} if item.fix else None,
        )

    def _range(self, lines: Sequence[str], start: tuple[int, int], end: tuple[int, int]) -> types.Range:
        """1-based code-point (line, column) to the client's 0-based positions in its encoding (UTF-16 unless the
        client chose another)."""
        span = types.Range(
            start=types.Position(line=start[0] - 1, character=start[1] - 1),
            end=types.Position(line=end[0] - 1, character=end[1] - 1),
        )
        return self.workspace.position_codec.range_to_client_units(lines, span)

    def _units(self, line: str) -> int:
        return self.workspace.position_codec.client_num_units(line)


def _line_edit(before: str, after: str) -> types.TextEdit:
    """One edit replacing the lines that differ (whole lines: no column to convert between encodings)."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old, end_new = end_old - 1, end_new - 1
    span = types.Range(start=types.Position(line=start, character=0), end=types.Position(line=end_old, character=0))
    return types.TextEdit(range=span, new_text="".join(new[start:end_new]))


def _same(item: Diagnostic, reported: types.Diagnostic) -> bool:
    """Whether a client's diagnostic is one we published (clients send them back as they received them)."""
    return reported.source == "bnlint" and reported.code == item.code and reported.range.start.line == item.line - 1


def _path(uri: str) -> Path | None:
    """Only files are analysed: an unsaved buffer has no place in the project."""
    if urlparse(uri).scheme != "file":
        return None
    path = to_fs_path(uri)
    return Path(path) if path and path.endswith(".py") else None


def create_server() -> BnlintServer:
    server = BnlintServer()

    def did_change(
        ls: BnlintServer,
        params: types.DidOpenTextDocumentParams | types.DidChangeTextDocumentParams | types.DidSaveTextDocumentParams,
    ) -> None:
        ls.document_changed(params.text_document.uri)

    for method in (types.TEXT_DOCUMENT_DID_OPEN, types.TEXT_DOCUMENT_DID_CHANGE, types.TEXT_DOCUMENT_DID_SAVE):
        server.feature(method)(did_change)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: BnlintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.document_closed(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: BnlintServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.files_changed([path for change in params.changes if (path := _path(change.uri)) is not None])

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(ls: BnlintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.code_actions(params)

    return server


def main() -> int:
    create_server().start_io()
    return 0
