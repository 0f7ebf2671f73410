"""`# derived:` comments in code mode: numbers a program computed from the text's by hand
(cutting patterns written out) are grounded by the arithmetic the comment states, read as a
formal model's `"source": "derived: ..."` (the reference program of industryor v2_hf_69)."""

from __future__ import annotations

from pathlib import Path

from formalize.verify.code_report import check_program

ROOT = Path(__file__).resolve().parent.parent / "problems" / "datasets" / "industryor" / "v2_hf_69"
TEXT = (ROOT / "problem.txt").read_text()
PATTERNS = "patterns = [(1, 0), (2, 0), (3, 0), (0, 1), (1, 1), (2, 1), (0, 2)]\n"
BODY = '''model = {"patterns": patterns, "demand": {3: 90, 4: 60}}
'''
DERIVED = "# derived: 10 // 3 = 3, (10 - 4) // 3 = 2, 10 // 4 = 2\n"


def _diags(src: str) -> list[tuple[str, str, str | None]]:
    rep = check_program(src, TEXT, None)
    return [(d.code, d.severity, d.location.field) for d in rep.diagnostics()]


def test_a_table_of_computed_numbers_needs_its_derivation():
    assert ("ungrounded-number", "error", "line 1") in _diags(PATTERNS + BODY)
    # on a line of its own, the comment covers the next line; at the end of the line, that line
    assert not [d for d in _diags(DERIVED + PATTERNS + BODY) if d[1] == "error"]
    assert not [d for d in _diags(PATTERNS.rstrip("\n") + "  " + DERIVED + BODY) if d[1] == "error"]
    # the operands are used: the bar length 10 is no longer an unused number of the text
    rep = check_program(DERIVED + PATTERNS + BODY, TEXT, None)
    assert any(m.how == "derived" for m in rep.grounding.matches)


def test_a_wrong_or_ungrounded_derivation_is_an_error_at_the_comment():
    wrong = DERIVED.replace("10 // 4 = 2", "10 // 4 = 3")
    assert ("wrong-derivation", "error", "line 1") in _diags(wrong + PATTERNS + BODY)
    foreign = DERIVED.replace("(10 - 4)", "(11 - 4)")
    assert ("ungrounded-number", "error", "line 1") in _diags(foreign + PATTERNS + BODY)
    # a number on the covered line that the derivation does not give is called out (as a formal
    # param's value that does not follow from its source)
    rep = check_program(DERIVED + PATTERNS.replace("(0, 2)]", "(0, 2), (5, 0)]") + BODY, TEXT, None)
    bad = [d for d in rep.diagnostics() if d.severity == "error"]
    assert [(d.code, d.location.field) for d in bad] == [("wrong-derivation", "line 1")]
    assert "the value 5 does not follow" in bad[0].message


def test_a_derivation_no_used_number_needs_covers_nothing():
    """A comment over a line the model never reaches uses no number of the text (as a formal
    model's unused param): the program's model here holds only the demand."""
    src = DERIVED + PATTERNS + 'model = {"demand": {3: 90, 4: 60}}\n'
    rep = check_program(src, TEXT, None)
    assert not any(m.how == "derived" for m in rep.grounding.matches)
