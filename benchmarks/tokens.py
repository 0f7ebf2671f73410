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
the Pyomo programs carry no counterpart.

Two further columns count the compact notation of the same model (docs/model-format.md, "Compact
notation"; `solvers.compact.to_compact`, JSON compact separators), which `load_model` reads back to
the same lowered model (tests/test_compact.py):
- "compact": `to_compact(m, keep_provenance=False)` — shorthands, no provenance, names kept;
- "prompted": `to_compact(m, keep_provenance=False, inline_scalars=True)` — also a scalar param
  used exactly once is written inline (`50 * small`). This is the style formalize/prompt_format.py
  (COMPACT_FORMAT) asks the LLM to emit, so the target is judged on this column. It is computed
  from our hand-written models, not from LLM output: an LLM following the prompt writes models of
  about this size, not these exact documents.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
PROMPTED = "prompted"  # the column the LLM is asked to emit (COMPACT_FORMAT)
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
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenizer-model", default="gpt-4o")
    a = ap.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    from solvers import load_model
    from solvers.compact import to_compact

    def count(text: str) -> int:
        return litellm.token_counter(model=a.tokenizer_model, text=text)

    cols = ["model.json", "no prov.", "compact", PROMPTED]
    rows: list[tuple[str, list[int], int]] = []
    for code in sorted(ROOT.glob("problems/**/model_pyomo.py")):
        mj = code.with_name("model.json")
        if not mj.is_file():
            continue
        doc = json.loads(mj.read_text())
        m = load_model(mj)
        texts = [
            _compact(doc),
            _compact(strip_provenance(doc)),
            _compact(to_compact(m, keep_provenance=False)),
            _compact(to_compact(m, keep_provenance=False, inline_scalars=True)),
        ]
        rows.append((str(code.parent.relative_to(ROOT)), [count(t) for t in texts],
                     count(code.read_text())))
    if not rows:
        print("no problem has both model.json and model_pyomo.py")
        return
    w = max(len(r[0]) for r in rows) + 1
    print(f"{'tokens':{w}} " + " ".join(f"{c:>10}" for c in cols) + f" {'pyomo':>7}   ratios (÷ pyomo)")
    for name, ts, tc in rows:
        print(f"{name:{w}} " + " ".join(f"{t:10d}" for t in ts) + f" {tc:7d}   "
              + " ".join(f"{t / tc:5.2f}" for t in ts))
    sums = [sum(r[1][i] for r in rows) for i in range(len(cols))]
    sc = sum(r[2] for r in rows)
    total = f"TOTAL ({len(rows)} problems)"
    print(f"{total:{w}} " + " ".join(f"{t:10d}" for t in sums) + f" {sc:7d}   "
          + " ".join(f"{t / sc:5.2f}" for t in sums))
    meds = [sorted(r[1][i] / r[2] for r in rows)[len(rows) // 2] for i in range(len(cols))]
    print("median ratio: " + ", ".join(f"{c} {v:.2f}" for c, v in zip(cols, meds)))
    print(f"the LLM is prompted to emit the {PROMPTED!r} form (formalize/prompt_format.py, "
          "COMPACT_FORMAT: compact notation, numbers used once written inline, no descriptions)")
    for c, t in zip(cols, sums):
        mark = "  <- prompted" if c == PROMPTED else ""
        print(f"  total ratio {c:>10}: {t / sc:.3f} {'≤' if t / sc <= 0.6 else '>'} 0.60{mark}")
    ratio = sums[cols.index(PROMPTED)] / sc
    print(f"target (prompted form ≤ 0.60×): {ratio:.3f}, {'met' if ratio <= 0.6 else 'NOT met'}")


if __name__ == "__main__":
    main()
