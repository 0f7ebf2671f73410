"""Output tokens of our formal model vs equivalent Pyomo code (target: ≤ 0.6×).

    python benchmarks/tokens.py [--tokenizer-model gpt-4o]

For every problem under problems/ that has both a formal model (model.json) and a Pyomo
reference program (model_pyomo.py, which builds the same model and is checked by the tests to
reach the same optimum), counts the tokens an LLM would have to write for each, with litellm's
token counter, and prints the per-problem and total ratios. The JSON is counted compact (as a
model would emit it with structured output: no indentation).

A second column, "no prov.", counts the same model.json with its free-text provenance removed
(the top-level `description`, and `description`/`source` of every set, param, variable and
constraint): those fields document where a number came from, they are not model structure, and
the Pyomo programs carry no counterpart. The target is judged on the full document.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROVENANCE = ("description", "source")


def strip_provenance(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of a model document without its free-text fields (`description`, `source`), removed
    only where the format defines them, so a set or param *named* "source" is kept."""
    out = {k: v for k, v in doc.items() if k != "description"}
    for section in ("sets", "params", "variables"):
        if isinstance(doc.get(section), dict):
            out[section] = {
                name: {k: v for k, v in spec.items() if k not in PROVENANCE}
                if isinstance(spec, dict)
                else spec
                for name, spec in doc[section].items()
            }
    if isinstance(doc.get("constraints"), list):
        out["constraints"] = [
            {k: v for k, v in c.items() if k not in PROVENANCE} if isinstance(c, dict) else c
            for c in doc["constraints"]
        ]
    return out


def _compact(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tokenizer-model", default="gpt-4o")
    a = ap.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    rows = []
    for code in sorted(ROOT.glob("problems/**/model_pyomo.py")):
        mj = code.with_name("model.json")
        if not mj.is_file():
            continue
        doc = json.loads(mj.read_text())
        t_json = litellm.token_counter(model=a.tokenizer_model, text=_compact(doc))
        t_bare = litellm.token_counter(
            model=a.tokenizer_model, text=_compact(strip_provenance(doc))
        )
        t_code = litellm.token_counter(model=a.tokenizer_model, text=code.read_text())
        rows.append((str(code.parent.relative_to(ROOT)), t_json, t_bare, t_code))
    if not rows:
        print("no problem has both model.json and model_pyomo.py")
        return
    head = f"{'problem':54} {'model.json':>10} {'no prov.':>8} {'pyomo':>7} {'ratio':>6} {'no prov.':>8}"
    print(head)
    print(f"{'':54} {'tokens':>10} {'tokens':>8} {'tokens':>7} {'':>6} {'ratio':>8}")
    for name, tj, tb, tc in rows:
        print(f"{name:54} {tj:10d} {tb:8d} {tc:7d} {tj / tc:6.2f} {tb / tc:8.2f}")
    sj, sb, sc = (sum(r[i] for r in rows) for i in (1, 2, 3))
    total = f"TOTAL ({len(rows)} problems)"
    print(f"{total:54} {sj:10d} {sb:8d} {sc:7d} {sj / sc:6.2f} {sb / sc:8.2f}")
    med = sorted(r[1] / r[3] for r in rows)[len(rows) // 2]
    med_b = sorted(r[2] / r[3] for r in rows)[len(rows) // 2]
    print(f"median ratio {med:.2f} (without provenance {med_b:.2f})")
    verdict = "met" if sj / sc <= 0.6 else "NOT met"
    print(f"target: total ratio of the full model.json ≤ 0.60 → {sj / sc:.2f}, {verdict}")
    print(f"(without the free-text provenance fields the total ratio is {sb / sc:.2f})")


if __name__ == "__main__":
    main()
