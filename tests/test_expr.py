"""The expression parser: accepted forms become typed trees, everything else a located error."""

import pytest

from solvers.diagnostics import Location, ModelError
from solvers.expr import (
    Agg,
    BinOp,
    BoolOp,
    Call,
    Compare,
    Index,
    Name,
    Num,
    Str,
    parse_expr,
    parse_forall,
    parse_index_decl,
    walk,
)

WHERE = Location(section="constraints", item="c1", field="expr")


def err(text: str):
    with pytest.raises(ModelError) as exc:
        parse_expr(text, WHERE)
    (d,) = exc.value.diagnostics
    assert d.location.item == "c1" and d.location.field == "expr"
    return d


def test_sum_with_filter_and_comparison():
    t = parse_expr("sum(c[p, m] * x[p, m] for p in P for m in M if d[p, m] > 0) <= 3")
    assert isinstance(t, Compare) and t.ops == ("<=",)
    agg = t.operands[0]
    assert isinstance(agg, Agg) and agg.func == "sum"
    assert [g.targets for g in agg.gens] == [("p",), ("m",)]
    assert agg.gens[1].over.name == "M" and len(agg.gens[1].conds) == 1
    assert isinstance(agg.body, BinOp) and agg.body.op == "*"
    assert t.operands[1] == Num(3.0)


def test_chain_range_constraint_and_strings():
    t = parse_expr('10 <= x["seattle"] + y <= 20')
    assert t.ops == ("<=", "<=") and len(t.operands) == 3
    idx = [n for n in walk(t) if isinstance(n, Index)][0]
    assert idx.args == (Str("seattle"),)


def test_logic_and_globals():
    t = parse_expr("implies(y[i] == 1, x[i] <= 5)")
    assert isinstance(t, Call) and t.func == "implies" and len(t.args) == 2
    t = parse_expr("s[a] + d[a] <= s[b] or s[b] + d[b] <= s[a]")
    assert isinstance(t, BoolOp) and t.op == "or"
    t = parse_expr("all_different(q[i] + i for i in N)")
    assert isinstance(t, Agg) and t.func == "all_different"
    t = parse_expr("all_different(x[1], x[2], x[3])")
    assert isinstance(t, Call) and len(t.args) == 3
    t = parse_expr("max(x[i] for i in I) + abs(y - 2) + min(a, b)")
    funcs = sorted(n.func for n in walk(t) if isinstance(n, (Call, Agg)))
    assert funcs == ["abs", "max", "min"]


def test_unicode_operators_are_normalized():
    t = parse_expr("x ≤ 3")
    assert t.ops == ("<=",)


def test_columns_are_one_based():
    t = parse_expr("x + y")
    assert t.col == 1 and t.right == Name("y") and t.right.col == 5


@pytest.mark.parametrize("text,code,hint", [
    ("x[i] = 3", "syntax", "=="),
    ("x ^ 2", "bad-operator", None),
    ("x.__class__", "bad-attribute", None),
    ("__import__('os')", "unknown-function", None),
    ("summ(x[i] for i in I)", "unknown-function", "did you mean 'sum'"),
    ("sum(x[i] for i in I", "syntax", "unbalanced"),
    ("lambda: 1", "bad-construct", None),
    ("x[1:3]", "bad-index", None),
    ("x if True else y", "bad-constant", None),
    ("", "empty-expression", None),
    ("sum(x[i] for i in [1, 2])", "bad-set", None),
    ("f(x)(y)", "bad-call", None),
])
def test_rejections_are_located(text, code, hint):
    d = err(text)
    assert d.code == code
    assert d.hint
    if hint:
        assert hint in d.hint


def test_too_long_and_too_deep():
    assert err("+".join(["x"] * 12000)).code == "expression-too-long"
    assert err("abs(" * 100 + "x" + ")" * 100).code == "expression-too-deep"
    assert err("-" * 5000 + "x").code == "expression-too-deep"


def test_forall_forms():
    g = parse_forall("p in P, m in M if p != m")
    assert [x.targets for x in g] == [("p",), ("m",)] and len(g[1].conds) == 1
    assert parse_forall("(i, j) in Arcs")[0].targets == ("i", "j")
    assert parse_forall("i, j in Arcs")[0].targets == ("i", "j")
    assert [x.targets for x in parse_forall("for i in I for j in J")] == [("i",), ("j",)]
    assert parse_forall("t in range(1, 5)")[0].over.name is None
    with pytest.raises(ModelError) as exc:
        parse_forall("i of I", Location(section="constraints", item="c", field="forall"))
    assert exc.value.diagnostics[0].location.field == "forall"


def test_index_decl():
    assert parse_index_decl("i in Items") == ("i", "Items")
    assert parse_index_decl("Items") == (None, "Items")
    with pytest.raises(ModelError):
        parse_index_decl("i in")


def test_parse_retries_the_cpython_311_ast_race_once(monkeypatch) -> None:
    """A parse outside the lock (Python formatting a traceback in another thread) can make one
    `ast.parse` fail with "AST constructor recursion depth mismatch" (seen in a threaded reference
    run): retried once; any other SystemError, or a second failure, is raised."""
    import ast

    from solvers import expr

    real = ast.parse
    calls = {"n": 0}

    def flaky(src, *a, fail=("AST constructor recursion depth mismatch (before=1, after=2)",), **k):
        calls["n"] += 1
        if calls["n"] <= len(fail):
            raise SystemError(fail[calls["n"] - 1])
        return real(src, *a, **k)

    monkeypatch.setattr(expr.ast, "parse", flaky)
    assert isinstance(expr._ast_parse("x + 1"), ast.Expression) and calls["n"] == 2
    calls["n"] = 0
    monkeypatch.setattr(expr.ast, "parse", lambda *a, **k: flaky(*a, fail=("other",), **k))
    with pytest.raises(SystemError, match="other"):
        expr._ast_parse("x + 1")
