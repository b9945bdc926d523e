"""JUnit XML, for CI services that show test reports: a test suite per file, a failed test case per finding."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from itertools import groupby
from pathlib import PurePosixPath

from bnlint.diagnostic import Diagnostic
from bnlint.reporters.report import Report, place

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot hold even escaped (control characters, lone surrogates from undecodable file names).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(report: Report) -> str:
    suites = [_suite(report, list(group)) for _, group in groupby(report.diagnostics, key=lambda d: d.path)]
    root = ET.Element("testsuites", name="bnlint")
    root.extend(suites or [_clean_suite()])
    _count(root)
    ET.indent(root)
    # Non-ASCII as character references: the text is right whatever encoding standard output has.
    return _DECLARATION + ET.tostring(root, encoding="us-ascii").decode("ascii") + "\n"


def _suite(report: Report, diagnostics: Sequence[Diagnostic]) -> ET.Element:
    path = report.relative(diagnostics[0].path)
    suite = ET.Element("testsuite", name=_text(path))
    suite.extend(
        _case(path, diagnostic, report.file_line(diagnostic.path, diagnostic.cell, diagnostic.line))
        for diagnostic in diagnostics
    )
    _count(suite)
    return suite


def _case(path: str, diagnostic: Diagnostic, line: int | None) -> ET.Element:
    """A failed test case at `line` of the file (in a notebook, the .ipynb file's line: the name gives the cell's;
    without one, no line)."""
    case = ET.Element(
        "testcase",
        name=f"{diagnostic.code} at {place(diagnostic)}",
        classname=_text(_classname(path)),
        file=_text(path),
    )
    if line is not None:
        case.set("line", str(line))
    # BN900/BN901: the file could not be checked, which JUnit calls an error rather than a failed test.
    outcome = ET.SubElement(case, "error" if diagnostic.is_error else "failure")
    outcome.set("message", _text(diagnostic.message))
    outcome.set("type", diagnostic.code)
    body = f"{path}:{place(diagnostic)}: {diagnostic.code} {diagnostic.message}"
    outcome.text = _text(body if diagnostic.help is None else f"{body}\n{diagnostic.help}")
    return case


def _clean_suite() -> ET.Element:
    """One passing test case, so that CI shows a green test rather than none."""
    suite = ET.Element("testsuite", name="bnlint")
    ET.SubElement(suite, "testcase", name="no findings", classname="bnlint")
    _count(suite)
    return suite


def _count(element: ET.Element) -> None:
    """The tests, failures and errors attributes of a suite, or of all the suites under the root."""
    cases = list(element.iter("testcase"))
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(case.find("failure") is not None for case in cases)))
    element.set("errors", str(sum(case.find("error") is not None for case in cases)))


def _classname(path: str) -> str:
    """`examples/train.py` becomes `examples.train`, as test classes are named by their module."""
    return PurePosixPath(path).with_suffix("").as_posix().strip("/").replace("/", ".")


def _text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
