"""Red team, formal-model side (issue 8): hostile model files and inputs, each with its exact outcome.

Classes: data files confined to the model's folder and the --data files (D), bounded input:
YAML aliases, duplicate keys, nesting, encodings, instance counts (B), exports that cannot change a
model (E), terminal-safe output (T). Every case runs the real CLI in-process and asserts the exit
code, the diagnostic code and message, that no refused file's content and no traceback or
"internal error" reaches the output, and that time and memory stay bounded.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import time
from pathlib import Path

import pytest

from formalize.cli import main as cli

SECRET = "TOPSECRET-7f3a9c"  # the header of a file outside the model's folder
ENV_MARKERS = ("PATH=", "HOME=", "PWD=")  # what /proc/self/environ would show


@pytest.fixture
def box(tmp_path: Path) -> Path:
    """A model folder `box/` next to a secret file `secret.csv` and a secret folder `outside/`."""
    (tmp_path / "secret.csv").write_text(f"{SECRET},v\nk,1\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.csv").write_text(f"{SECRET},v\nk,1\n")
    d = tmp_path / "box"
    d.mkdir()
    return d


def write(folder: Path, doc: dict | str, name: str = "model.json") -> Path:
    p = folder / name
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return p


def run(capsys, *args, max_seconds: float = 10.0, max_rss_mb: float = 400.0) -> tuple[int, str, str]:
    """The CLI in-process: (exit code, stdout, stderr); asserts no traceback, no internal error,
    bounded time and bounded growth of the peak resident memory."""
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    code = cli.main([str(a) for a in args])
    dt = time.perf_counter() - t0
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024
    out, err = capsys.readouterr()
    both = out + err
    assert "Traceback" not in both and "internal error" not in both, both
    assert code != cli.EXIT_INTERNAL, both
    assert dt < max_seconds, f"took {dt:.1f}s"
    assert grown_mb < max_rss_mb, f"peak memory grew by {grown_mb:.0f} MB"
    return code, out, err


def diags(out: str) -> list[dict]:
    """Diagnostics of `check --json` output."""
    return json.loads(out)["diagnostics"]


def codes(out: str) -> set[str]:
    return {d["code"] for d in diags(out)}


def no_leak(*texts: str) -> None:
    for t in texts:
        assert SECRET not in t
        for m in ENV_MARKERS:
            assert m not in t


def param_from(file: str, column: str = "v") -> dict:
    return {"sets": {"K": ["k"]},
            "params": {"p[K]": {"from": {"file": file, "column": column}}},
            "variables": {"x[K]": "real in [0, 10]"},
            "maximize": "sum(p[k] * x[k] for k in K)"}


def set_from(file: str, column: str) -> dict:
    return {"sets": {"S": {"from": {"file": file, "column": column}}},
            "variables": {"x[S]": "real in [0, 1]"},
            "maximize": "sum(x[s] for s in S)"}


def refused(out: str, rule: str, item: str = "p") -> dict:
    d = next(d for d in diags(out) if d["code"] == "data-file-refused")
    assert rule in d["message"], d["message"]
    assert d["location"]["item"] == item and d["location"]["field"] == "from"
    return d


# ============================================================================ D: data files


def test_d01_proc_environ_is_refused_and_never_quoted(capsys, box):
    # the leak: a missing column printed the header of /proc/self/environ
    code, out, err = run(capsys, "check", write(box, param_from("/proc/self/environ", "zzz")), "--json")
    assert code == 1
    refused(out, "absolute paths are not read")
    no_leak(out, err)
    code, out, err = run(capsys, "check", write(box, param_from("/proc/self/environ", "zzz")))
    assert code == 1 and "data-file-refused" not in err  # the human form: message + rule
    assert "params p from: data file '/proc/self/environ' is refused: absolute paths are not read" in err
    no_leak(out, err)


def test_d02_etc_passwd_never_reaches_a_solution_table(capsys, box):
    code, out, err = run(capsys, "solve", write(box, set_from("/etc/passwd", "root")))
    assert code == 1 and "root:" not in out + err and "nologin" not in out + err
    assert "sets S from: data file '/etc/passwd' is refused: absolute paths are not read" in err


def test_d03_dotdot_escape_is_refused(capsys, box):
    code, out, err = run(capsys, "check", write(box, param_from("../secret.csv", "nope")), "--json")
    assert code == 1
    refused(out, "'..' would leave the folder")
    no_leak(out, err)


def test_d04_dotdot_inside_a_path_is_refused(capsys, box):
    (box / "sub").mkdir()
    code, out, err = run(capsys, "check", write(box, param_from("sub/../../secret.csv", "nope")), "--json")
    assert code == 1
    refused(out, "'..' would leave the folder")
    no_leak(out, err)


def test_d05_symlink_pointing_out_is_refused(capsys, box):
    (box / "data.csv").symlink_to(box.parent / "secret.csv")
    code, out, err = run(capsys, "check", write(box, param_from("data.csv", "nope")), "--json")
    assert code == 1
    refused(out, "symbolic link (or lies under one) that leads out of the folder")
    no_leak(out, err)


def test_d06_symlinked_folder_pointing_out_is_refused(capsys, box):
    (box / "linked").symlink_to(box.parent / "outside", target_is_directory=True)
    code, out, err = run(capsys, "check", write(box, param_from("linked/secret.csv", "nope")), "--json")
    assert code == 1
    refused(out, "leads out of the folder")
    no_leak(out, err)


def test_d07_fifo_is_refused_without_hanging(capsys, box):
    os.mkfifo(box / "data.csv")  # nobody writes: an open without O_NONBLOCK would block forever
    code, out, err = run(capsys, "check", write(box, param_from("data.csv")), "--json", max_seconds=5)
    assert code == 1
    refused(out, "it is a FIFO, not a regular file")


def test_d08_dev_zero_behind_a_symlink_is_refused(capsys, box):
    (box / "zero.csv").symlink_to("/dev/zero")
    code, out, err = run(capsys, "check", write(box, param_from("zero.csv")), "--json", max_seconds=5)
    assert code == 1
    refused(out, "leads out of the folder")


def test_d09_socket_is_refused(capsys, box):
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(box / "data.csv"))
    try:
        code, out, err = run(capsys, "check", write(box, param_from("data.csv")), "--json")
    finally:
        s.close()
    assert code == 1
    refused(out, "it is a socket, not a regular file")


def test_d10_directory_named_like_a_file_is_refused(capsys, box):
    (box / "data.csv").mkdir()
    code, out, err = run(capsys, "check", write(box, param_from("data.csv")), "--json")
    assert code == 1
    refused(out, "it is a directory, not a regular file")


def test_d11_data_file_over_the_size_limit(capsys, box, monkeypatch):
    monkeypatch.setenv("FORMALIZE_MAX_DATA_BYTES", "100")
    (box / "data.csv").write_text("k,v\n" + "k,1\n" * 100)
    code, out, err = run(capsys, "check", write(box, param_from("data.csv")), "--json")
    assert code == 1
    d = next(d for d in diags(out) if d["code"] == "too-large")
    assert d["message"] == "data file 'data.csv' has 404 bytes, over the limit of 100 (max_data_bytes)"
    assert "FORMALIZE_MAX_DATA_BYTES=N" in d["hint"]


def test_d12_nul_in_the_file_name_is_refused(capsys, box):
    code, out, err = run(capsys, "check", write(box, param_from("data\u0000.csv")), "--json")
    assert code == 1
    refused(out, "the name is empty or holds a NUL character")


def test_d13_data_flag_refuses_proc_and_fifos(capsys, box):
    m = write(box, param_from("data.csv"))
    code, out, err = run(capsys, "solve", m, "--data", "/proc/self/environ")
    assert code == 2
    assert err.strip() == ("formalize: /proc/self/environ: refused as a --data file: files under /proc, "
                           "/sys and /dev are never read")
    os.mkfifo(box / "pipe.csv")
    code, out, err = run(capsys, "check", m, "--data", box / "pipe.csv", max_seconds=5)
    assert code == 2 and "refused as a --data file: it is a FIFO, not a regular file" in err
    no_leak(out, err)


def test_d14_non_utf8_data_file_is_located_by_byte(capsys, box):
    (box / "data.csv").write_bytes(b"k,v\nk,\xff1\n")
    code, out, err = run(capsys, "check", write(box, param_from("data.csv")), "--json")
    assert code == 1
    d = next(d for d in diags(out) if d["code"] == "data-encoding")
    assert d["message"] == "data file 'data.csv' is not UTF-8: byte 6 (line 2) is 0xff"


def test_d15_admitted_file_quoted_only_within_bounds(capsys, box):
    header = ",".join(f"c{i}_" + "w" * 100 for i in range(2000))
    (box / "data.csv").write_text(header + "\n" + ",".join("1" for _ in range(2000)) + "\n")
    code, out, err = run(capsys, "check", write(box, param_from("data.csv", "nope")))
    assert code == 1
    line = next(ln for ln in err.splitlines() if "value column 'nope' not found" in ln)
    assert len(line) < 1200 and "(2000 columns)" in line


def test_d16_deep_json_data_file_is_a_located_error(capsys, box):
    (box / "data.json").write_text("[" * 5000 + "]" * 5000)
    code, out, err = run(capsys, "check", write(box, param_from("data.json")), "--json")
    assert code == 1
    d = next(d for d in diags(out) if d["code"] == "data-read")
    assert "nests" in d["message"] and d["location"]["item"] == "p"


def test_d17_symlink_inside_the_folder_is_admitted(capsys, box):
    (box / "real").mkdir()
    (box / "real" / "data.csv").write_text("k,v\nk,3\n")
    (box / "data.csv").symlink_to(box / "real" / "data.csv")
    code, out, err = run(capsys, "solve", write(box, param_from("data.csv")), "--json")
    assert code == 0 and json.loads(out)["solution"]["objective"] == pytest.approx(30.0)  # 3 * 10


def test_d18_data_flag_files_are_matched_by_name(capsys, box, tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "costs.csv").write_text("k,v\nk,2\n")
    (other / "sibling.csv").write_text(f"{SECRET},v\nk,1\n")
    m = write(box, param_from("costs.csv"))
    code, out, err = run(capsys, "solve", m, "--data", other / "costs.csv", "--json")
    assert code == 0 and json.loads(out)["solution"]["objective"] == pytest.approx(20.0)
    # the --data file admits itself, not its folder
    code, out, err = run(capsys, "check", write(box, param_from("sibling.csv")), "--data",
                         other / "costs.csv", "--json")
    assert code == 1 and "file-not-found" in codes(out)
    no_leak(out, err)


def test_d19_model_without_a_folder_reads_no_relative_file(tmp_path, monkeypatch):
    from solvers import ModelError, load_model
    from solvers.data import instance

    (tmp_path / "data.csv").write_text("k,v\nk,1\n")
    monkeypatch.chdir(tmp_path)  # the working directory is not a data folder
    m = load_model(json.dumps(param_from("data.csv")))
    with pytest.raises(ModelError) as e:
        instance(m)
    d = e.value.diagnostics[0]
    assert d.code == "file-not-found" and "nowhere: the model has no folder" in d.message
    ok = load_model(json.dumps(param_from("data.csv")), data_files=[tmp_path / "data.csv"])
    assert float(instance(ok).params["p"].table[0]) == 1.0


# ============================================================================ B: bounded input


ALIAS_BOMB = "\n".join(
    [f'{"abcdefghi"[0]}: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]" for p, c in zip("abcdefgh", "bcdefghi")]
    + ["sets: {S: *i}"]) + "\n"


def test_b01_yaml_alias_bomb_fails_in_milliseconds(capsys, tmp_path):
    from solvers import ModelError, load_model

    assert 300 < len(ALIAS_BOMB) < 600  # 9 levels of 9: 387,420,489 strings when expanded
    p = tmp_path / "bomb.yaml"
    p.write_text(ALIAS_BOMB)
    t0 = time.perf_counter()
    with pytest.raises(ModelError) as e:
        load_model(p)
    assert time.perf_counter() - t0 < 0.5
    d = e.value.diagnostics[0]
    assert d.code == "yaml-alias" and "line 1, column 4: anchor &a refused" in d.message
    code, out, err = run(capsys, "check", p, "--json", max_seconds=5, max_rss_mb=50)
    assert code == 1 and codes(out) == {"yaml-alias"}


def test_b02_yaml_alias_without_anchor_on_the_same_node(capsys, tmp_path):
    doc = "name: m\nvariables: {x: real >= 0}\nminimize: x\nconstraints:\n  c: x >= 1\n  d: *c\n"
    code, out, err = run(capsys, "check", write(tmp_path, doc, "m.yaml"), "--json")
    assert code == 1
    d = diags(out)[0]
    assert d["code"] == "yaml-alias" and "line 6, column 6: alias *c refused" in d["message"]


def test_b03_yaml_merge_key_needs_an_alias_and_is_refused(capsys, tmp_path):
    doc = ("base: &base {domain: real, lb: 0}\nvariables:\n  x: {<<: *base, ub: 4}\nmaximize: x\n")
    code, out, err = run(capsys, "check", write(tmp_path, doc, "m.yaml"), "--json")
    assert code == 1
    d = diags(out)[0]
    assert d["code"] == "yaml-alias" and "line 1, column 7: anchor &base refused" in d["message"]


def test_b04_duplicate_json_key_is_not_last_wins(capsys, tmp_path):
    doc = ('{"sense": "minimize", "variables": {"x": "real in [0, 10]"}, "objective": "x", '
           '"sense": "maximize"}')
    code, out, err = run(capsys, "check", write(tmp_path, doc), "--json")
    assert code == 1
    d = diags(out)[0]
    assert d["code"] == "duplicate-key"
    assert "key 'sense' is given twice in the top level at line 1, column 80" in d["message"]


def test_b05_duplicate_nested_json_key_names_its_path(capsys, tmp_path):
    doc = '{\n "variables": {\n  "x": "real >= 0",\n  "x": "integer >= 0"\n },\n "minimize": "x"\n}'
    code, out, err = run(capsys, "check", write(tmp_path, doc), "--json")
    assert code == 1
    d = diags(out)[0]
    assert d["code"] == "duplicate-key" and "key 'x' is given twice in variables at line 4, column 3" in d["message"]


def test_b06_duplicate_yaml_key(capsys, tmp_path):
    doc = "sense: minimize\nvariables:\n  x: real >= 0\nobjective: x\nsense: maximize\n"
    code, out, err = run(capsys, "check", write(tmp_path, doc, "m.yaml"), "--json")
    assert code == 1
    d = diags(out)[0]
    assert d["code"] == "duplicate-key" and "line 5, column 1: key 'sense' is given twice" in d["message"]


def test_b07_deeply_nested_json(capsys, tmp_path):
    doc = '{"a":' * 100_000 + "1" + "}" * 100_000
    code, out, err = run(capsys, "check", write(tmp_path, doc), "--json")
    assert code == 1
    d = diags(out)[0]
    assert d["code"] == "too-deep" and "more than 64 deep (first at line 1, column 321)" in d["message"]
    assert "FORMALIZE_MAX_DEPTH=N" in d["hint"]


def test_b08_deeply_nested_yaml(capsys, tmp_path):
    doc = "sets:\n  S: " + "[" * 5000 + "]" * 5000 + "\n"
    code, out, err = run(capsys, "check", write(tmp_path, doc, "m.yaml"), "--json")
    assert code == 1
    d = diags(out)[0]
    assert d["code"] == "too-deep" and "nest more than 64 deep" in d["message"]


def test_b09_non_utf8_model_is_located_by_byte(capsys, tmp_path):
    p = tmp_path / "m.json"
    p.write_bytes(b'{"name": "m\xff\xfe", "variables": {"x": "real >= 0"}, "minimize": "x"}')
    code, out, err = run(capsys, "check", p, "--json")
    assert code == 1
    d = diags(out)[0]
    assert d["code"] == "bad-encoding" and "byte 11 (line 1, column 12) is 0xff" in d["message"]


def test_b10_variable_over_a_billion_instances_fails_check(capsys, tmp_path):
    doc = {"sets": {c: {"range": [1, 1000]} for c in "ABC"},
           "variables": {"x[A, B, C]": "real >= 0"},
           "minimize": "sum(x[a, b, c] for a in A for b in B for c in C)"}
    code, out, err = run(capsys, "check", write(tmp_path, doc), "--json", max_rss_mb=100)
    assert code == 1
    d = next(d for d in diags(out) if d["code"] == "too-many-instances")
    assert d["message"] == ("variable 'x' over A × B × C has 1,000,000,000 instances, over the limit of "
                            "10,000,000 (max_instances)")
    assert d["location"]["section"] == "variables" and d["location"]["item"] == "x"
    assert "--max-instances N" in d["hint"] and "FORMALIZE_MAX_INSTANCES=N" in d["hint"]
    code, out, err = run(capsys, "solve", write(tmp_path, doc), max_rss_mb=100)
    assert code == 1 and "variable 'x' over A × B × C has 1,000,000,000 instances" in err


def test_b11_forall_over_a_set_product(capsys, tmp_path):
    doc = {"sets": {c: {"range": [1, 1000]} for c in "ABC"}, "variables": {"x": "real >= 0"},
           "minimize": "x", "constraints": {"c[a in A, b in B, c in C]": "x >= a"}}
    code, out, err = run(capsys, "check", write(tmp_path, doc), "--json", max_rss_mb=100)
    assert code == 1
    d = next(d for d in diags(out) if d["code"] == "too-many-instances")
    assert d["message"] == "the forall of 'c' has 1,000,000,000 instances, over the limit of 10,000,000 (max_instances)"
    code, out, err = run(capsys, "solve", write(tmp_path, doc), max_rss_mb=100)
    assert code == 1 and "c in C (with the enclosing generators) has 1,000,000,000 index bindings" in err


def test_b12_forall_over_range_1e9(capsys, tmp_path):
    doc = {"variables": {"x": "real >= 0"}, "minimize": "x",
           "constraints": {"c[t in range(0, 10**9)]": "x >= t"}}
    code, out, err = run(capsys, "check", write(tmp_path, doc), "--json", max_rss_mb=100)
    assert code == 1
    d = next(d for d in diags(out) if d["code"] == "too-many-instances")
    assert d["message"] == ("t in range(0, 1000000000) has 1,000,000,000 index bindings, over the limit "
                            "of 10,000,000 (max_instances)")
    assert d["location"]["field"] == "forall"


def test_b13_sum_over_range_1e12(capsys, tmp_path):
    doc = {"variables": {"x": "real >= 0"}, "minimize": "x",
           "constraints": {"c": "x >= sum(t for t in range(1, 10**12))"}}
    code, out, err = run(capsys, "check", write(tmp_path, doc), "--json", max_rss_mb=100)
    assert code == 1
    d = next(d for d in diags(out) if d["code"] == "too-many-instances")
    assert "t in range(1, 1000000000000) has 999,999,999,999 index bindings" in d["message"]
    assert d["location"]["item"] == "c" and d["location"]["column"] == 16


def test_b14_range_of_5e7_is_a_precise_error_not_a_solver_failure(capsys, tmp_path):
    doc = {"sets": {"T": {"range": [1, 50_000_000]}}, "variables": {"x[T]": "real >= 0"},
           "minimize": "sum(x[t] for t in T)"}
    code, out, err = run(capsys, "solve", write(tmp_path, doc), max_rss_mb=100)
    assert code == 1 and "HiGHS failed" not in err
    assert ("sets T range: set 'T' (range 1..50000000) has 50,000,000 elements, over the limit of "
            "10,000,000 (max_instances)") in err


def test_b15_param_table_over_the_limit(capsys, tmp_path):
    doc = {"sets": {"A": {"range": [1, 100_000]}, "B": {"range": [1, 100_000]}},
           "params": {"c[A, B]": {"values": [], "default": 1}},
           "variables": {"x": "real >= 0"}, "minimize": "x"}
    code, out, err = run(capsys, "check", write(tmp_path, doc), "--json", max_rss_mb=100)
    assert code == 1
    d = next(d for d in diags(out) if d["code"] == "param-too-large")
    assert d["message"] == ("param 'c' over A × B has 10,000,000,000 entries, over the limit of "
                            "10,000,000 (max_instances)")


def test_b16_the_limit_is_raised_by_flag_and_environment(capsys, tmp_path, monkeypatch):
    doc = {"sets": {"T": {"range": [1, 2000]}}, "variables": {"x[T]": "real in [1, 5]"},
           "minimize": "sum(x[t] for t in T)"}
    p = write(tmp_path, doc)
    code, out, err = run(capsys, "solve", p, "--max-instances", "1000")
    assert code == 1 and "has 2,000 elements, over the limit of 1,000 (max_instances)" in err
    code, out, err = run(capsys, "solve", p, "--max-instances", "5000", "--json")
    assert code == 0 and json.loads(out)["solution"]["objective"] == pytest.approx(2000.0)
    assert "FORMALIZE_MAX_INSTANCES" not in os.environ  # the flag holds for its command only
    monkeypatch.setenv("FORMALIZE_MAX_INSTANCES", "1500")
    code, out, err = run(capsys, "check", p)
    assert code == 1 and "over the limit of 1,500" in err
    monkeypatch.setenv("FORMALIZE_MAX_INSTANCES", "lots")
    code, out, err = run(capsys, "check", p, "--json")
    assert code == 1 and codes(out) == {"bad-limit"}
    from solvers.limits import DEFAULTS, ENV

    assert f"default {DEFAULTS['max_instances']:,}, or ${ENV['max_instances']}" in cli.MAX_INSTANCES_HELP


def test_b17_widely_spread_range_values_stay_small(capsys, tmp_path):
    doc = {"sets": {"T": {"range": [1, 50]}}, "variables": {"x[T]": "real in [0, 1]"},
           "maximize": "sum(x[t] for t in T)",
           "constraints": {"c[t in T]": "x[t] <= sum(1 for u in range(t * 10**12, t * 10**12 + 1))"}}
    code, out, err = run(capsys, "solve", write(tmp_path, doc), "--json", max_rss_mb=100)
    assert code == 0 and json.loads(out)["solution"]["objective"] == pytest.approx(50.0)


def test_b18_product_of_two_long_sums_is_bounded(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("FORMALIZE_MAX_NONZEROS", "1000000")
    doc = {"sets": {"I": {"range": [1, 2000]}}, "variables": {"x[I]": "real in [0, 1]"},
           "minimize": "sum(x[i] for i in I) * sum(x[j] for j in I)"}
    code, out, err = run(capsys, "check", write(tmp_path, doc), "--json")
    assert code == 1
    d = next(d for d in diags(out) if d["code"] == "too-many-nonzeros")
    assert d["message"] == ("this product of two sums has 4,000,000 quadratic terms, over the limit of "
                            "1,000,000 (max_nonzeros)")


def test_b19_model_file_over_the_size_limit(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("FORMALIZE_MAX_MODEL_BYTES", "1000")
    doc = {"sets": {"S": [f"e{i}" for i in range(500)]}, "variables": {"x": "real >= 0"}, "minimize": "x"}
    p = write(tmp_path, doc)
    code, out, err = run(capsys, "check", p, "--json")
    assert code == 1
    d = diags(out)[0]
    assert d["code"] == "too-large" and f"has {p.stat().st_size:,} bytes, over the limit of 1,000" in d["message"]


def test_b20_yaml_python_tags_are_not_executed(capsys, tmp_path):
    marker = tmp_path / "pwned"
    doc = f'name: !!python/object/apply:os.system ["touch {marker}"]\nvariables: {{x: real >= 0}}\n'
    code, out, err = run(capsys, "check", write(tmp_path, doc, "m.yaml"), "--json")
    assert code == 1 and codes(out) == {"bad-yaml"} and not marker.exists()


def test_b21_model_file_that_is_a_fifo_does_not_hang(capsys, tmp_path):
    os.mkfifo(tmp_path / "m.json")
    code, out, err = run(capsys, "check", tmp_path / "m.json", max_seconds=5)
    assert code == 2 and "not a file" in err


def test_b22_variables_together_over_the_limit(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("FORMALIZE_MAX_INSTANCES", "1000")
    doc = {"sets": {"T": {"range": [1, 600]}}, "variables": {"x[T]": "real in [0, 1]", "y[T]": "real in [0, 1]"},
           "maximize": "sum(x[t] + y[t] for t in T)"}
    code, out, err = run(capsys, "solve", write(tmp_path, doc))
    assert code == 1 and "variables: the model's variables together has 1,200 instances, over the limit of 1,000" in err


def test_b23_huge_range_bounds_do_not_wrap_around(capsys, tmp_path):
    doc = {"variables": {"x": "real >= 0"}, "minimize": "x",
           "constraints": {"c": "x >= sum(1 for t in range(-9000000000000000000, 9000000000000000000))"}}
    code, out, err = run(capsys, "check", write(tmp_path, doc), "--json", max_rss_mb=100)
    assert code == 1 and "too-many-instances" in codes(out)


def test_b24_checker_bounds_ranges_and_powers(tmp_path):
    from solvers import check

    doc = {"params": {"one": 1}, "variables": {"x": "real >= 0"}, "minimize": "x",
           "constraints": {"c": "x >= one**1000000000", "d": "x >= sum(1 for t in range(0, 10**12))"}}
    t0 = time.perf_counter()
    rep = check(doc, {"x": 1.0})
    assert time.perf_counter() - t0 < 5
    d = next(d for d in rep.errors if d.code == "too-many-instances")
    assert "range(0, 1000000000000) has 1,000,000,000,000 elements" in d.message and d.location.item == "d"


def test_b25_recursive_dict_given_to_the_api(tmp_path):
    from solvers import ModelError, load_model

    doc: dict = {"name": "m", "variables": {"x": "real >= 0"}}
    doc["description"] = doc  # a cycle: infinitely deep
    with pytest.raises(ModelError) as e:
        load_model(doc)
    assert e.value.diagnostics[0].code == "too-deep"


def test_b26_nan_literal_in_json(capsys, tmp_path):
    doc = '{"params": {"p": NaN}, "variables": {"x": "real >= 0"}, "minimize": "x", "constraints": {"c": "x >= p"}}'
    code, out, err = run(capsys, "check", write(tmp_path, doc), "--json")
    assert code == 1 and "non-finite" in codes(out)


BIG = {"A": {"range": [1, 100_000]}, "B": {"range": [1, 100_000]}}
LIMIT_MSG = "over the limit of 10,000,000 (max_instances)"


def small(**parts) -> dict:
    return {"variables": {"x": "real >= 0"}, "minimize": "x", **parts}


def one_error(capsys, tmp_path: Path, doc: dict) -> dict:
    code, out, err = run(capsys, "check", write(tmp_path, doc), "--json", max_seconds=5, max_rss_mb=100)
    assert code == 1
    errs = [d for d in diags(out) if d["severity"] == "error"]
    assert len(errs) == 1, errs
    return errs[0]


def test_b27_derived_set_product_of_ten_billion(capsys, tmp_path):
    d = one_error(capsys, tmp_path, small(sets={**BIG, "P": {"expr": "A * B"}}))
    assert d["code"] == "set-too-large" and d["location"]["item"] == "P"
    assert d["message"] == f"the product has 10,000,000,000 elements, {LIMIT_MSG}"


def test_b28_derived_range_of_a_trillion(capsys, tmp_path):
    d = one_error(capsys, tmp_path, small(sets={"P": {"expr": "range(0, 10**12)"}}))
    assert d["code"] == "set-too-large"
    assert d["message"] == f"range(0, 1000000000000) has 1,000,000,000,000 elements, {LIMIT_MSG}"


def test_b29_filter_and_projection_over_a_huge_product(capsys, tmp_path):
    for expr in ("(i, j) in A * B if i == j", "{i + j for i in A for j in B}"):
        d = one_error(capsys, tmp_path, small(sets={**BIG, "P": {"expr": expr}}))
        assert d["code"] == "set-too-large" and d["location"]["item"] == "P"
        assert d["message"] == f"the filter enumerates 10,000,000,000 combinations, {LIMIT_MSG}"


def test_b30_computed_param_over_a_huge_index(capsys, tmp_path):
    d = one_error(capsys, tmp_path, small(sets=BIG, params={"d[i in A, j in B]": "i * j"}))
    assert d["code"] == "param-too-large" and d["location"]["item"] == "d"
    assert d["message"] == f"param 'd' over A × B has 10,000,000,000 entries, {LIMIT_MSG}"


def test_b31_computed_param_summing_ten_billion_terms(capsys, tmp_path):
    d = one_error(capsys, tmp_path, small(sets=BIG, params={"t": "sum(i * j for i in A for j in B)"}))
    assert d["code"] == "too-many-instances" and d["location"]["item"] == "t"
    assert d["message"] == f"j in B (with the enclosing generators) has 10,000,000,000 index bindings, {LIMIT_MSG}"


def test_b32_computed_param_with_a_huge_power(capsys, tmp_path):
    d = one_error(capsys, tmp_path, small(params={"t": "2 ** 10**9"}))
    assert d["code"] == "non-finite" and d["message"] == "the power evaluates to inf"


def test_b33_checker_refuses_huge_derived_data_at_once(tmp_path):
    from solvers import check

    for sets, params, code, msg in (
        ({**BIG, "P": {"expr": "(i, j) in A * B if i == j"}}, {}, "too-many-instances",
         f"the generators i, j have 10,000,000,000 index bindings, {LIMIT_MSG}"),
        (BIG, {"t": "sum(i * j for i in A for j in B)"}, "too-many-instances",
         f"the generators i, j have 10,000,000,000 index bindings, {LIMIT_MSG}"),
        (BIG, {"d[i in A, j in B]": "i * j"}, "param-too-large",
         f"param 'd' over A × B has 10,000,000,000 entries, {LIMIT_MSG}"),
        ({**BIG, "P": {"expr": "A * B"}}, {}, "set-too-large", f"the product has 10,000,000,000 elements, {LIMIT_MSG}"),
    ):
        t0 = time.perf_counter()
        rep = check(small(sets=sets, params=params), {"x": 0.0})
        assert time.perf_counter() - t0 < 5
        assert not rep.feasible and [(d.code, d.message) for d in rep.errors] == [(code, msg)]


def test_b34_checker_refuses_a_huge_forall_and_variable(tmp_path):
    from solvers import check

    doc = {"sets": BIG, "variables": {"x": "real >= 0"}, "minimize": "x",
           "constraints": {"c[a in A, b in B]": "x >= a - b"}}
    t0 = time.perf_counter()
    rep = check(doc, {"x": 0.0})
    assert time.perf_counter() - t0 < 5
    d = next(d for d in rep.errors if d.code == "too-many-instances")
    assert d.message == f"the generators a, b have 10,000,000,000 index bindings, {LIMIT_MSG}"
    assert d.location.item == "c" and d.location.field == "forall"
    doc = {"sets": BIG, "variables": {"y[A, B]": "real >= 0"}, "minimize": "y[1, 1]"}
    t0 = time.perf_counter()
    rep = check(doc, {"y": {}})
    assert time.perf_counter() - t0 < 5
    assert [(d.code, d.message) for d in rep.errors][:1] == [
        ("too-many-instances", f"variable 'y' over A × B has 10,000,000,000 instances, {LIMIT_MSG}")]


# ============================================================================ E: exports


def _reread(path: Path) -> float:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value


def _export_and_reread(capsys, tmp_path: Path, doc: dict, expected: float) -> None:
    m = write(tmp_path, doc)
    code, out, err = run(capsys, "solve", m, "--json")
    assert code == 0 and json.loads(out)["solution"]["objective"] == pytest.approx(expected)
    for to in ("lp", "mps"):
        code, out, err = run(capsys, "export", m, "--to", to, "-o", tmp_path / f"m.{to}")
        assert code == 0
        assert _reread(tmp_path / f"m.{to}") == pytest.approx(expected), (tmp_path / f"m.{to}").read_text()


def test_e01_variable_named_st_keeps_its_bound(capsys, tmp_path):
    # the issue: "formalize export --to lp" of a variable `st` re-read as a different model (30 vs 24)
    doc = {"variables": {"st": "real in [0, 4]", "y": "real in [0, 10]"}, "maximize": "2 * st + y",
           "constraints": {"c": "st + 2 * y <= 24"}}
    _export_and_reread(capsys, tmp_path, doc, 18.0)  # st = 4, y = 10


def test_e02_every_lp_keyword_as_a_name(capsys, tmp_path):
    kws = ["end", "bounds", "bound", "inf", "infinity", "minimize", "maximum", "bin", "binary", "gen",
           "general", "semi", "sos", "free", "subject", "such", "that", "st", "ST", "End", "INF", "obj"]
    doc = {"variables": {k: ("integer in [0, 2]" if i % 3 == 0 else "real in [0, 1]") for i, k in enumerate(kws)},
           "maximize": " + ".join(kws),
           "constraints": {"bounds": "st + end <= 3", "subject": "inf + infinity <= 1.5"}}
    # 8 integers ≤ 2 and 14 reals ≤ 1 give 30; st (≤ 1) + end (≤ 2) ≤ 3 costs nothing,
    # inf (integer ≤ 2) + infinity (≤ 1) ≤ 1.5 costs 1.5
    _export_and_reread(capsys, tmp_path, doc, 28.5)


def test_e03_number_like_names(capsys, tmp_path):
    doc = {"variables": {"e1": "real in [0, 1]", "E5": "real in [0, 2]", "e": "real in [0, 3]",
                         "e12x": "real in [0, 4]", "nan": "real in [0, 5]", "infx": "real in [0, 6]"},
           "maximize": "e1 + E5 + e + e12x + nan + infx", "constraints": {"e2": "e1 + E5 <= 2.5"}}
    _export_and_reread(capsys, tmp_path, doc, 2.5 + 3 + 4 + 5 + 6)


def test_e04_elements_with_spaces_operators_unicode(capsys, tmp_path):
    elems = ["a b", "x+y<=3", "s.t.", "semi-continuous", "köln", "漢字", "1e5", "-1", ":", "(", "]", "a_b"]
    doc = {"sets": {"S": elems}, "variables": {"x[S]": "real in [0, 1]"},
           "params": {"w[S]": list(range(1, len(elems) + 1))},
           "maximize": "sum(w[s] * x[s] for s in S)",
           "constraints": {"cap[s in S]": "x[s] <= 0.5", "total": "sum(x[s] for s in S) <= 4"}}
    top = sorted(range(1, len(elems) + 1))[-8:]  # 8 halves fit in 4: the 8 largest weights
    _export_and_reread(capsys, tmp_path, doc, 0.5 * sum(top))


def test_e05_very_long_names(capsys, tmp_path):
    a, b = "v" * 300, "v" * 299 + "w"  # equal after cutting: distinct by hash
    doc = {"sets": {"S": ["e" * 500, "e" * 499 + "f"]},
           "variables": {a: "real in [0, 1]", b: "real in [0, 2]", "y[S]": "real in [0, 3]"},
           "maximize": f"{a} + {b} + sum(y[s] for s in S)"}
    _export_and_reread(capsys, tmp_path, doc, 1 + 2 + 6)


def test_e06_pulp_export_with_keyword_names(tmp_path):
    import pulp

    from solvers.export import to_pulp

    doc = {"variables": {"st": "real in [0, 4]", "end": "integer in [0, 3]", "e1": "real in [0, 2]"},
           "maximize": "st + end + e1", "constraints": {"bounds": "st + end <= 6"}}
    prob = to_pulp(doc)
    prob.solve(pulp.PULP_CBC_CMD(msg=0))
    assert pulp.value(prob.objective) == pytest.approx(8.0)
    prob.writeLP(str(tmp_path / "p.lp"))
    assert _reread(tmp_path / "p.lp") == pytest.approx(8.0)


def test_e07_pyomo_labels_that_collide(capsys, tmp_path):
    doc = {"sets": {"S": ["a b", "a_b", "a+b"]}, "variables": {"st[S]": "real in [0, 1]"},
           "params": {"w[S]": [1, 2, 3]}, "maximize": "sum(w[s] * st[s] for s in S)"}
    code, out, err = run(capsys, "export", write(tmp_path, doc), "--to", "pyomo", "-o", tmp_path / "m.lp")
    assert code == 0 and "uses Pyomo's generic names" in err
    assert _reread(tmp_path / "m.lp") == pytest.approx(6.0)


def test_e08_name_map_reads_values_back(capsys, tmp_path):
    doc = {"sets": {"S": ["a b", "a_b"]}, "variables": {"end[S]": "real in [0, 1]", "st": "real in [0, 2]"},
           "maximize": "sum(end[s] for s in S) + st"}
    m = write(tmp_path, doc)
    code, out, err = run(capsys, "export", m, "--to", "lp", "-o", tmp_path / "m.lp", "--names", tmp_path / "n.json")
    assert code == 0
    names = json.loads((tmp_path / "n.json").read_text())
    assert names == {"columns": {"_end(a_b)": "end[a b]", "_end(a_b)_2": "end[a_b]", "_st": "st"}, "rows": {}}
    from solvers.export import name_map

    vals = name_map(doc).values({"_end(a_b)": 1.0, "_end(a_b)_2": 0.5, "_st": 2.0})
    assert vals == {"end": {"a b": 1.0, "a_b": 0.5}, "st": {(): 2.0}}


# ============================================================================ T: terminal-safe output

FAKE = "\x1b[2J\x1b[H\x1b[32mALL CHECKS PASSED\x1b[0m"
RAW = ["\x1b", "\x9b", "\r", "\x08", "\x07", "\u202e", "\u202a", "\u2066", "\u2069", "\u200b", "\u200f",
       "\ufeff", "\u2028"]


def terminal_safe(*texts: str) -> None:
    for t in texts:
        for ch in RAW:
            assert ch not in t, f"raw {ch!r} in output: {t[:300]!r}"
        assert all(c.isprintable() or c in "\n\t" for c in t)


def test_t01_fake_all_checks_passed_in_a_constraint_name(capsys, tmp_path):
    # the issue: an escape sequence cleared the screen and printed a fake green "ALL CHECKS PASSED"
    fake = FAKE.replace(" ", "_")  # no space: the location shows the name unquoted
    doc = {"variables": {"x": "real >= 0"}, "minimize": "x",
           "constraints": [{"name": "c" + fake, "expr": "x >= 1"}]}
    code, out, err = run(capsys, "check", write(tmp_path, doc))
    assert code == 1
    terminal_safe(out, err)
    assert err.startswith("error: constraints c\\x1b[2J\\x1b[H\\x1b[32mALL_CHECKS_PASSED\\x1b[0m: "
                          "constraint name 'c\\x1b[2J")
    assert "errors — class LP, 1 error(s)" in out


def test_t02_escape_sequences_in_the_model_name_and_description(capsys, tmp_path):
    doc = {"name": "m" + FAKE, "description": "line1\rOVERWRITE\x08\x08", "variables": {"x": "real in [0, 1]"},
           "maximize": "x"}
    code, out, err = run(capsys, "solve", write(tmp_path, doc), "--show-model")
    assert code == 0
    terminal_safe(out, err)
    assert "model m\\x1b[2J\\x1b[H\\x1b[32mALL CHECKS PASSED\\x1b[0m — line1\\rOVERWRITE\\x08\\x08" in out


def test_t03_escape_sequences_in_set_elements_reach_no_table(capsys, tmp_path):
    doc = {"sets": {"S": ["a\x1b[31mred", "b\x9b2J", "c\nerror: fake line", "d\u202eevil", "e\u200bzw"]},
           "variables": {"x[S]": "real in [0, 1]"}, "maximize": "sum(x[s] for s in S)",
           "constraints": {"cap[s in S]": "x[s] <= 1"}}
    code, out, err = run(capsys, "solve", write(tmp_path, doc))
    assert code == 0
    terminal_safe(out, err)
    for shown in ("x[a\\x1b[31mred]", "x[b\\x9b2J]", "x[c\\nerror: fake line]", "x[d\\u202eevil]", "x[e\\u200bzw]"):
        assert shown in out
    assert not any(line.startswith("error: fake line") for line in out.splitlines())


def test_t04_bidi_and_invisible_characters_in_names(capsys, tmp_path):
    doc = {"sets": {"S": ["\u202aa", "\u2066b\u2069", "\ufeffc", "\u00adsoft", "\u2028sep"]},
           "variables": {"x[S]": "real in [0, 1]"}, "maximize": "sum(x[s] for s in S)"}
    code, out, err = run(capsys, "solve", write(tmp_path, doc))
    assert code == 0
    terminal_safe(out, err)
    for shown in ("\\u202aa", "\\u2066b\\u2069", "\\ufeffc", "\\xadsoft", "\\u2028sep"):
        assert shown in out


def test_t05_escape_sequences_in_an_admitted_data_header(capsys, box):
    (box / "data.csv").write_text(f"k,v{FAKE}\nk,1\n")
    code, out, err = run(capsys, "check", write(box, param_from("data.csv", "nope")))
    assert code == 1
    terminal_safe(out, err)
    assert "columns: k, v\\x1b[2J" in err


def test_t06_json_output_is_escaped_and_round_trips(capsys, tmp_path):
    doc = {"sets": {"S": ["a\x1b[31m", "b\u202e"]}, "variables": {"x[S]": "real in [0, 1]"},
           "maximize": "sum(x[s] for s in S)", "constraints": [{"name": "bad\x1b", "expr": "x['a'] <= 1"}]}
    p = write(tmp_path, doc)
    code, out, err = run(capsys, "check", p, "--json")
    assert code == 1
    terminal_safe(out, err)
    assert any(d["location"]["item"] == "bad\x1b" for d in json.loads(out)["diagnostics"])  # data kept
    doc["constraints"] = []
    code, out, err = run(capsys, "solve", write(tmp_path, doc), "--json")
    assert code == 0
    terminal_safe(out, err)
    assert {r["index"][0] for r in json.loads(out)["solution"]["values"]["x"]} == {"a\x1b[31m", "b\u202e"}


@pytest.mark.parametrize("to", ["text", "latex", "json", "lp", "mps", "pulp", "pyomo"])
def test_t07_exports_to_stdout_are_terminal_safe(capsys, tmp_path, to):
    doc = {"name": "m" + FAKE, "sets": {"S": ["a\x1b[31m", "b\u202e", "c\r"]},
           "variables": {"x[S]": "real in [0, 1]"}, "maximize": "sum(x[s] for s in S)",
           "constraints": {"cap[s in S]": "x[s] <= 1"}}
    code, out, err = run(capsys, "export", write(tmp_path, doc), "--to", to)
    assert code == 0
    terminal_safe(out, err)
    if to == "json":
        assert json.loads(out)["name"] == "m" + FAKE  # stdout JSON: escaped, same data


def test_t08_conflicting_constraints_are_shown_escaped(capsys, tmp_path):
    doc = {"sets": {"S": ["p\x1b[8m"]}, "variables": {"x[S]": "real in [0, 5]"}, "minimize": "sum(x[s] for s in S)",
           "constraints": {"lo[s in S]": "x[s] >= 3", "hi[s in S]": "x[s] <= 2"}}
    code, out, err = run(capsys, "solve", write(tmp_path, doc))
    assert code == 3
    terminal_safe(out, err)
    assert "lo[p\\x1b[8m]" in out and "hi[p\\x1b[8m]" in out


def test_t09_lone_surrogate_does_not_crash_the_output(capsys, tmp_path):
    p = tmp_path / "m.json"
    p.write_text('{"sets": {"S": ["a\\ud800"]}, "variables": {"x[S]": "real in [0, 1]"}, '
                 '"maximize": "sum(x[s] for s in S)"}')
    code, out, err = run(capsys, "solve", p)
    assert code == 0 and "x[a\\ud800]" in out
    terminal_safe(out, err)


def test_t10_a_path_argument_with_escapes(capsys, tmp_path):
    code, out, err = run(capsys, "check", tmp_path / f"no{FAKE}.json")
    assert code == 2
    terminal_safe(out, err)
    assert "no\\x1b[2J" in err


def test_t11_diagnostics_on_one_line_whatever_they_quote(capsys, tmp_path):
    doc = {"variables": {"x": "real >= 0"}, "minimize": "x",
           "constraints": [{"name": "c", "expr": "x >= undefined_thing\n\rerror: fake"}]}
    code, out, err = run(capsys, "check", write(tmp_path, doc))
    assert code == 1
    terminal_safe(out, err)
    assert not any(line.startswith("error: fake") for line in err.splitlines())


def test_t12_safe_text_is_one_function_and_idempotent():
    from solvers.safe_text import safe_line, safe_text

    s = "ok ö 漢 " + FAKE + "\n\t\r\x08\u202e\u2066\u200b\ufeff\x9b\x7f\ud800"
    once = safe_text(s)
    assert safe_text(once) == once and all(c.isprintable() or c in "\n\t" for c in once)
    assert once.startswith("ok ö 漢 \\x1b[2J") and "\n\t\\r\\x08\\u202e\\u2066\\u200b\\ufeff\\x9b\\x7f\\ud800" in once
    assert safe_line("a\nb\tc") == "a\\nb\\tc"
    assert safe_text("plain text, unchanged") == "plain text, unchanged"


def test_t13_checker_report_is_terminal_safe():
    from solvers import check

    e = "a\x1b[2J\u202e"
    doc = {"sets": {"S": [e]}, "variables": {"x[S]": "integer in [0, 1]"}, "maximize": "sum(x[s] for s in S)",
           "constraints": {"c[s in S]": "x[s] <= 0.5"}}
    rep = check(doc, {"x": {e: 1.5, "nope\x1b[8m": 1}})
    text = rep.summary()
    terminal_safe(text)
    assert "  c[a\\x1b[2J\\u202e] violated by 1: lhs 1.5 <= rhs 0.5  [x[s] <= 0.5]\n" in text
    assert "x[a\\x1b[2J\\u202e] = 1.5 is above its upper bound 1 by 0.5" in text
    assert "x[a\\x1b[2J\\u202e] = 1.5 is not integral (off by 0.5)" in text
    assert "  x[nope\\x1b[8m]: 'nope\\x1b[8m' is not an element of S" in text
    assert rep.violations[0].index == (e,)  # the data keeps the text as written


# ============================================================================ P: the program (LLM-written models)


def _program(responses: list, data: list | None = None):
    import copy

    from formalize.llm.testing import ScriptedLLM
    from formalize.program.pipeline import formalize

    folder = Path(__file__).resolve().parent.parent / "problems/datasets/nl4opt/cpmpy_1133974368"
    llm = ScriptedLLM([copy.deepcopy(r) for r in responses], name="redteam")
    try:
        f = formalize((folder / "problem.txt").read_text(), llm.client(), strategy="single", data=data or (),
                      max_repairs=2)
    finally:
        llm.close()
    return f, llm, json.loads((folder / "model.json").read_text())


def _good() -> dict:
    folder = Path(__file__).resolve().parent.parent / "problems/datasets/nl4opt/cpmpy_1133974368"
    return json.loads((folder / "model.json").read_text())


@pytest.mark.parametrize("file, rule", [("/proc/self/environ", "absolute paths are not read"),
                                        ("../../../../../../proc/self/environ", "'..' would leave the folder"),
                                        ("/etc/passwd", "absolute paths are not read"),
                                        ("/dev/zero", "absolute paths are not read")])
def test_p01_llm_model_naming_a_host_file_never_reaches_the_repair_prompt(monkeypatch, file, rule):
    # the issue: /proc/self/environ's header reached the terminal and the repair prompt sent to the LLM
    monkeypatch.setenv("FORMALIZE_REDTEAM_SECRET", SECRET)
    hostile = _good()
    hostile["params"]["cap_small"] = {"from": {"file": file, "column": "nope"}}
    f, llm, good = _program([hostile, good := _good()])
    assert len(llm.calls) == 2
    repair = llm.calls[1].prompt
    assert f"- error: params cap_small from: data file {file!r} is refused: {rule}; " in repair
    assert SECRET not in repair and "root:x:0:0" not in repair
    for m in ENV_MARKERS:
        assert m not in repair
    assert f.ok and f.solution is not None and f.solution.objective == pytest.approx(4190.0)
    assert f.model.to_dict()["params"]["cap_small"]["value"] == good["params"]["cap_small"]["value"]


def test_p02_llm_model_reads_only_the_given_data_file(tmp_path, monkeypatch):
    (tmp_path / "given").mkdir()
    given = tmp_path / "given" / "caps.csv"
    given.write_text("kind,cap\nsmall,50\n")
    (tmp_path / "secret.csv").write_text(f"kind,{SECRET}\nsmall,1\n")
    monkeypatch.chdir(tmp_path / "given")  # a relative name must not reach the cwd either
    hostile = _good()
    hostile["params"]["cap_small"] = {"from": {"file": "../secret.csv", "column": "nope"}}
    f, llm, _ = _program([hostile, _good()], data=[str(given)])
    repair = llm.calls[1].prompt
    assert "data file '../secret.csv' is refused: '..' would leave the folder" in repair and SECRET not in repair
    assert f.ok


def test_p03_llm_answer_with_a_key_given_twice_is_repaired_not_last_wins():
    # the issue: duplicate JSON keys (two `sense`) were silently last-wins
    good = _good()
    text = json.dumps(good)
    twice = text.replace('"sense": "maximize"', '"sense": "maximize", "sense": "minimize"', 1)
    assert twice != text
    f, llm, _ = _program([twice, good])
    assert len(llm.calls) == 2
    first = f.history[0]
    assert [d.code for d in first.diagnostics] == ["duplicate-key"]
    assert "the answer gives the key 'sense' twice in one object" in llm.calls[1].prompt
    assert f.ok and f.solution.objective == pytest.approx(4190.0)  # maximized, as the repaired answer says


def test_p04_lenient_json_reading_elsewhere_is_unchanged():
    from formalize.llm.client import DuplicateKeyError, extract_json

    assert extract_json('{"a": 1, "a": 2}') == {"a": 2}
    with pytest.raises(DuplicateKeyError, match="the answer gives the key 'a' twice in one object"):
        extract_json('prose ```json\n{"b": {"a": 1, "a": 2}}\n```', strict=True)


def test_b35_problem_text_that_is_not_utf8(capsys, tmp_path):
    model = write(tmp_path, {"variables": {"x": "real in [0, 1]"}, "maximize": "x"})
    text = tmp_path / "problem.txt"
    text.write_bytes(b"A farm has 100 acres\n of land \xff\xfe.\n")
    code, out, err = run(capsys, "check", model, "--text", text)
    assert code == 2
    assert f"{text} is not UTF-8: byte 30 (line 2, column 10) is 0xff (save the file as UTF-8)" in err
    code, out, err = run(capsys, "solve", text, "--model", "scripted/none", "--json")
    assert code == 2 and json.loads(out)["error"].endswith("byte 30 (line 2, column 10) is 0xff (save the file as UTF-8)")
    from formalize import api
    from solvers import ModelError

    with pytest.raises(ModelError) as e:
        api.solve(text, "scripted/none")
    assert e.value.diagnostics[0].code == "bad-encoding"


def test_b36_problem_text_that_is_a_fifo_or_proc(capsys, tmp_path):
    os.mkfifo(tmp_path / "problem.txt")
    code, out, err = run(capsys, "solve", tmp_path / "problem.txt", "--model", "scripted/none", max_seconds=5)
    assert code == 2 and "not a file" in err
    model = write(tmp_path, {"variables": {"x": "real in [0, 1]"}, "maximize": "x"})
    code, out, err = run(capsys, "check", model, "--text", "/proc/self/environ")
    assert code == 2 and "is refused: it lies under /proc, /sys or /dev, which are never read" in err
    no_leak(out, err)


def test_b37_data_flag_file_that_is_not_utf8(capsys, tmp_path):
    (tmp_path / "d.csv").write_bytes(b"k,v\nk,1\nj,\xff\n")
    code, out, err = run(capsys, "check", write(tmp_path, param_from("d.csv")), "--data", tmp_path / "d.csv")
    assert code == 2
    assert f"{tmp_path / 'd.csv'}: refused as a --data file: it is not UTF-8: byte 10 (line 3) is 0xff; save it as UTF-8" in err
    from formalize.program.context import data_summaries

    os.mkfifo(tmp_path / "f.csv")
    assert data_summaries([tmp_path / "d.csv", tmp_path / "f.csv"]) == (
        "- d.csv: 2 rows; columns: k (text), v (text); first rows: k, 1; j, \ufffd\n"
        "- f.csv: cannot be summarized (OSError)")
