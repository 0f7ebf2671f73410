"""Acknowledgements are matched to the mention they name, not only by value.

The stand-in's code-mode run (tests/replays/code_mid/industryor_v2_hf_18) acknowledged "two"
twice, once for "two types of fabrics" and once for "two shifts"; matched by value, both
mentions got the first comment's reason. Each acknowledgement now goes to the mention it names
(a phrase it quotes, else the words it shares with the text around the mention, else in order),
and one acknowledgement still covers every mention of its number — in both modes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from formalize.verify.code_report import BuiltNumbers, check_program
from formalize.verify.grounding import ground
from solvers.model import load_model

HF18 = (Path(__file__).resolve().parent / "replays" / "code_mid" / "industryor_v2_hf_18" / "problem.txt").read_text()
# what the stand-in's program builds: everything of the text but the counts and the profits
BUILT = BuiltNumbers(np.asarray([110.0, 10, 70000, 45000, 1000, 2.5, 1.5]), [])


def _reasons(src: str, text: str = HF18) -> dict[str, str]:
    """Acknowledged mentions (by the words right after the number) -> reason."""
    rep = check_program("model = 1\n" + src, text, BUILT)
    return {text[tn.start:tn.start + 8]: r for tn, r in rep.grounding.acknowledged}


def test_each_acknowledgement_goes_to_the_mention_it_quotes():
    # the stand-in's comments, in its order: the first names the fabrics, the second the shifts
    got = _reasons('# acknowledged: two - "two types of fabrics" is reflected by the two production variables\n'
                   '# acknowledged: two - "two shifts" only explains the 110 weekly hours\n')
    assert got == {"two type": '"two types of fabrics" is reflected by the two production variables',
                   "two shif": '"two shifts" only explains the 110 weekly hours'}
    # in the other order, still each to its own mention
    got = _reasons('# acknowledged: two - "two shifts" only explains the 110 weekly hours\n'
                   '# acknowledged: two - "two types of fabrics": two variables\n')
    assert got["two shif"].startswith('"two shifts"') and got["two type"].startswith('"two types')


def test_without_quotes_the_words_around_each_mention_decide_then_the_order():
    got = _reasons("# acknowledged: two - the shift count only explains the weekly hours\n"
                   "# acknowledged: two - one variable per fabric\n")
    assert got == {"two type": "one variable per fabric",
                   "two shif": "the shift count only explains the weekly hours"}
    # nothing in common with either mention: the k-th comment names the k-th mention
    got = _reasons("# acknowledged: two - reason A\n# acknowledged: two - reason B\n")
    assert got == {"two type": "reason A", "two shif": "reason B"}


def test_one_acknowledgement_covers_every_mention_of_its_number():
    got = _reasons("# acknowledged: two - both counts are structure of the model\n")
    assert got == {"two type": "both counts are structure of the model",
                   "two shif": "both counts are structure of the model"}


def test_one_acknowledgement_quoting_one_mention_leaves_the_other_meaning_as_advice():
    """The stand-in's final code-mode run (hf_18): one comment quoting "two shifts" was applied to
    "two types of fabrics" too, against the prompt's rule of one comment per meaning."""
    rep = check_program('model = 1\n# acknowledged: two - "two shifts" only explain the 110 weekly hours\n',
                        HF18, BUILT)
    got = {HF18[tn.start:tn.start + 8]: r for tn, r in rep.grounding.acknowledged}
    assert got == {"two shif": '"two shifts" only explain the 110 weekly hours'}
    assert [HF18[tn.start:tn.start + 8] for tn in rep.grounding.unused] == ["two type"]


TEXT3 = ("A plant makes two products on its lines. Each of the two products sells at 30 dollars per "
         "unit and takes 4 hours of machine time. The plant runs two shifts a day; the total machine time "
         "available is 400 hours per week. Far from all of this, it keeps two warehouses in the city "
         "centre. Maximize the revenue.")


def test_repeated_mentions_of_one_meaning_follow_their_acknowledgement_and_a_stray_mention_stays_advice():
    built = BuiltNumbers(np.asarray([30.0, 4, 400]), [])
    src = ('model = 1\n# acknowledged: two - "two products": the products are the two variables\n'
           '# acknowledged: two - "two shifts" only explain the 400 hours\n')
    rep = check_program(src, TEXT3, built)
    got = [(TEXT3[tn.start:tn.start + 8], r) for tn, r in rep.grounding.acknowledged]
    # both mentions of the products take the products' reason, the shifts theirs
    assert [k for k, _ in got] == ["two prod", "two prod", "two shif"]
    assert all(r.startswith('"two products"') for k, r in got if k == "two prod")
    assert got[2][1].startswith('"two shifts"')
    # the warehouses are named by neither comment: still advice
    assert [TEXT3[tn.start:tn.start + 8] for tn in rep.grounding.unused] == ["two ware"]
    assert "unused-number" in [d.code for d in rep.diagnostics()]


def test_the_formal_model_matches_its_acknowledgements_the_same_way():
    doc = {"variables": {"h_curtain": {"lb": 0}, "h_cloth": {"lb": 0}, "over": {"lb": 0, "ub": 10}},
           "constraints": [{"name": "time", "expr": "h_curtain + h_cloth <= 110 + over"},
                           {"name": "c", "expr": "1000 * h_curtain <= 70000"},
                           {"name": "l", "expr": "1000 * h_cloth <= 45000"}],
           "objective": "maximize 2.5 * 1000 * h_curtain + 1.5 * 1000 * h_cloth",
           "acknowledged": [{"number": "two", "reason": "\"two types of fabrics\": two variables"},
                            {"number": "two", "reason": "\"two shifts\" only explain the 110 hours"}]}
    rep = ground(load_model(doc), HF18)
    got = {HF18[tn.start:tn.start + 8]: r for tn, r in rep.acknowledged}
    assert got["two type"].startswith('"two types') and got["two shif"].startswith('"two shifts"')
