"""SARIF 2.1.0, as GitHub code scanning (the upload-sarif action) and other code-review tools read it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from bnlint import __version__
from bnlint.diagnostic import ERROR_CODES, INTERNAL_ERROR, Diagnostic, Related
from bnlint.docs import HOMEPAGE, CodeInfo, describe
from bnlint.reporters.report import Report, fingerprints
from bnlint.rules import ALL_RULES

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "bnlint/v1"  # bump the suffix only when the hash changes: that re-opens every alert once
_TAGS = ["batch-normalization", "tensorflow"]
_RULE_INDEX = {rule.code: index for index, rule in enumerate(ALL_RULES)}
_NOTIFICATION_INDEX = {code: index for index, code in enumerate(ERROR_CODES)}

Json = dict[str, object]


def render(report: Report) -> str:
    hashes = fingerprints(report)
    results = [
        _result(report, diagnostic, digest)
        for diagnostic, digest in zip(report.diagnostics, hashes, strict=True)
        if not diagnostic.is_error
    ]
    run: Json = {
        "tool": {"driver": _driver()},
        "invocations": [_invocation(report)],
        "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(report.root)}},
        "columnKind": "unicodeCodePoints",  # our columns count code points, not UTF-16 units
        "results": results,
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def _driver() -> Json:
    return {
        "name": "bnlint",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": HOMEPAGE,
        # Every rule, not only those found: viewers show rules that ran and came out clean too.
        "rules": [{**_descriptor(describe(rule.code)), "properties": {"tags": _TAGS}} for rule in ALL_RULES],
        # The codes for unreadable files and internal errors describe notifications, not results.
        "notifications": [_descriptor(describe(code)) for code in ERROR_CODES],
    }


def _descriptor(info: CodeInfo) -> Json:
    return {
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": info.summary},
        "help": {"text": info.documentation, "markdown": info.documentation},
        "helpUri": info.help_uri,
        "defaultConfiguration": {"level": info.level},
    }


def _result(report: Report, diagnostic: Diagnostic, fingerprint: str) -> Json:
    result: Json = {
        "ruleId": diagnostic.code,
        "ruleIndex": _RULE_INDEX[diagnostic.code],
        "level": describe(diagnostic.code).level,
        "message": _message(diagnostic),
        "locations": [_location(report, diagnostic)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if diagnostic.related:
        result["relatedLocations"] = [
            _related(report, diagnostic.path, index, related) for index, related in enumerate(diagnostic.related)
        ]
    if diagnostic.cell is not None:
        # SARIF has no notion of notebook cells: the regions are lines of this cell, which a property names.
        result["properties"] = {"cell": diagnostic.cell}
    return result


def _message(diagnostic: Diagnostic) -> Json:
    """The one-sentence message as `text`, which GitHub code scanning and most viewers list; with a help, `markdown`
    holds the message and the help, as SARIF has viewers that render Markdown show a message in full."""
    if diagnostic.help is None:
        return {"text": diagnostic.message}
    return {"text": diagnostic.message, "markdown": f"{diagnostic.message}\n\n{diagnostic.help}"}


def _location(report: Report, diagnostic: Diagnostic) -> Json:
    if diagnostic.cell is not None:
        end = (diagnostic.end_line, diagnostic.end_column)
        return _in_cell(report, diagnostic.path, diagnostic.cell, (diagnostic.line, diagnostic.column), end)
    region = {
        "startLine": diagnostic.line,
        "startColumn": diagnostic.column,
        "endLine": diagnostic.end_line,
        "endColumn": diagnostic.end_column,  # exclusive in SARIF as in bnlint
    }
    return {"physicalLocation": {"artifactLocation": _artifact(report, diagnostic.path), "region": region}}


def _related(report: Report, path: str, index: int, related: Related) -> Json:
    if related.cell is not None:
        location = _in_cell(report, path, related.cell, (related.line, related.column))
    else:
        region = {"startLine": related.line, "startColumn": related.column}
        location = {"physicalLocation": {"artifactLocation": _artifact(report, path), "region": region}}
    return {"id": index, **location, "message": {"text": related.message}}


def _in_cell(
    report: Report, path: str, cell: int, start: tuple[int, int], end: tuple[int, int] | None = None
) -> Json:
    """A location in a notebook (a related one may be in another cell than the result). SARIF has no cells: the
    region is the lines of the .ipynb file that hold the cell's lines, without columns (the cell's are not the JSON
    line's), or none when they cannot be told; the properties give the cell, and the line and column in it."""
    physical: Json = {"artifactLocation": _artifact(report, path)}
    first = report.file_line(path, cell, start[0])
    if first is not None:
        last = report.file_line(path, cell, end[0]) if end is not None else None
        physical["region"] = {"startLine": first, "endLine": last or first}
    properties = {"cell": cell, "cellLine": start[0], "cellColumn": start[1]}
    return {"physicalLocation": physical, "properties": properties}


def _artifact(report: Report, path: str) -> Json:
    """Relative to %SRCROOT% (GitHub needs repository-relative paths); a file URI for files outside the root."""
    relative = report.relative(path)
    if os.path.isabs(relative):
        return {"uri": Path(relative).as_uri()}
    return {"uri": quote(relative, safe="/", errors="surrogateescape"), "uriBaseId": SRCROOT}


def _directory_uri(directory: Path) -> str:
    uri = directory.absolute().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _invocation(report: Report) -> Json:
    """BN900 and BN901 say bnlint could not check a file: tool notifications, not findings about the code."""
    errors = [diagnostic for diagnostic in report.diagnostics if diagnostic.is_error]
    return {
        # An unparseable file is the input's fault; only an internal error means bnlint itself failed.
        "executionSuccessful": not any(diagnostic.code == INTERNAL_ERROR for diagnostic in errors),
        "toolExecutionNotifications": [_notification(report, diagnostic) for diagnostic in errors],
    }


def _notification(report: Report, diagnostic: Diagnostic) -> Json:
    return {
        "level": "error",
        "message": {"text": f"{diagnostic.code} {diagnostic.message}"},
        "descriptor": {"id": diagnostic.code, "index": _NOTIFICATION_INDEX[diagnostic.code]},
        "locations": [_location(report, diagnostic)],
    }
