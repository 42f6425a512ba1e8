#!/usr/bin/env python3
"""Mutation testing for the Python runtime's checks, with the standard library only (no mutation
tool for Python can be installed where this project is built).

Each mutant changes one place of one check module: a comparison operator (< and <=, > and >=, ==
and !=, in and not in, is and is not swapped), a `+ 1` or `- 1` (to `+ 0` and to the other sign),
an `and`/`or` (swapped), or a `not` (dropped). The module's own tests then run against it in a copy
of python/; a mutant is killed when they fail or time out, and survives when they pass.

    python3 scripts/python-mutation.py [--jobs 2] [--only batch,history] [--json FILE]

Prints each survivor as `module.py:line: what changed`, then the score per module and overall."""

import argparse
import ast
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.path.join(ROOT, "python")

# The runtime's check modules and the tests that cover each (run with -x: the first failure kills).
TARGETS = {
    "batch": ["tests/test_batch.py", "tests/test_hostile.py", "tests/test_samplers.py", "tests/test_check_boundaries.py"],
    "history": ["tests/test_history.py", "tests/test_hostile.py", "tests/test_replay_reference.py", "tests/test_check_boundaries.py"],
    "sampler_support": ["tests/test_samplers.py"],
    "model_info": ["tests/test_model_info.py", "tests/test_check_boundaries.py"],
    "framing": ["tests/test_hostile.py", "tests/test_launch.py"],
    "packing": ["tests/test_batch.py", "tests/test_hostile.py"],
    "sampling": ["tests/test_samplers.py", "tests/test_engine.py", "tests/test_check_boundaries.py", "tests/test_shared_limits.py"],
}

SWAPS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
         ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in",
          ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}


def sites(tree):
    """Every mutation of the tree, in a fixed order: (node index, variant, line, description)."""
    found = []
    for index, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.Compare):
            for position, op in enumerate(node.ops):
                if type(op) in SWAPS:
                    found.append((index, ("compare", position), node.lineno, "%s → %s" % (SYMBOL[type(op)], SYMBOL[SWAPS[type(op)]])))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) and isinstance(node.right, ast.Constant) and node.right.value == 1:
            sign = "+" if isinstance(node.op, ast.Add) else "-"
            found.append((index, ("one", "zero"), node.lineno, "%s 1 → %s 0" % (sign, sign)))
            found.append((index, ("one", "flip"), node.lineno, "%s 1 → %s 1" % (sign, "-" if sign == "+" else "+")))
        elif isinstance(node, ast.BoolOp):
            found.append((index, ("bool",), node.lineno, "and → or" if isinstance(node.op, ast.And) else "or → and"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            found.append((index, ("not",), node.lineno, "not dropped"))
    return found


def mutate(source, site):
    """The module's source with one mutation applied (formatting and comments are not kept)."""
    tree = ast.parse(source)
    index, variant, _, _ = site
    node = next(n for i, n in enumerate(ast.walk(tree)) if i == index)
    if variant[0] == "compare":
        node.ops[variant[1]] = SWAPS[type(node.ops[variant[1]])]()
    elif variant[0] == "one":
        if variant[1] == "zero":
            node.right = ast.Constant(0)
        else:
            node.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
    elif variant[0] == "bool":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif variant[0] == "not":
        # `not x` becomes `x`: replace the UnaryOp by its operand in its parent.
        for parent in ast.walk(tree):
            for field, value in ast.iter_fields(parent):
                if value is node:
                    setattr(parent, field, node.operand)
                elif isinstance(value, list) and node in value:
                    value[value.index(node)] = node.operand
    return ast.unparse(ast.fix_missing_locations(tree))


def run_mutant(job):
    module, site, tests, timeout = job
    workdir = tempfile.mkdtemp(prefix="pie-mutant-")
    try:
        copy = os.path.join(workdir, "python")
        shutil.copytree(PYTHON, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".hypothesis"))
        path = os.path.join(copy, "pie_trtllm_runtime", module + ".py")
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(mutate(source, site))
        try:
            result = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests], cwd=copy,
                                    capture_output=True, text=True, timeout=timeout,
                                    env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
            killed = result.returncode != 0
        except subprocess.TimeoutExpired:
            killed = True
        return module, site, killed
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--only", help="comma-separated modules (default: %s)" % ",".join(TARGETS))
    parser.add_argument("--timeout", type=int, default=120, help="seconds a mutant's tests may take before it counts as killed")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    modules = args.only.split(",") if args.only else list(TARGETS)
    unknown = [m for m in modules if m not in TARGETS]
    if unknown:
        parser.error("unknown module %s; known: %s" % (", ".join(unknown), ", ".join(TARGETS)))
    jobs = []
    for module in modules:
        with open(os.path.join(PYTHON, "pie_trtllm_runtime", module + ".py"), encoding="utf-8") as handle:
            source = handle.read()
        jobs += [(module, site, TARGETS[module], args.timeout) for site in sites(ast.parse(source))]
    started = time.monotonic()
    print("%d mutants in %s, %d at a time" % (len(jobs), ", ".join(modules), args.jobs), flush=True)
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for done, (module, site, killed) in enumerate(pool.map(run_mutant, jobs), 1):
            results.append((module, site, killed))
            if not killed:
                print("survived  %s.py:%d: %s" % (module, site[2], site[3]), flush=True)
            if done % 25 == 0:
                print("  %d of %d done (%.0f s)" % (done, len(jobs), time.monotonic() - started), flush=True)
    print()
    summary = {}
    for module in modules:
        mine = [r for r in results if r[0] == module]
        killed = sum(1 for r in mine if r[2])
        summary[module] = {"mutants": len(mine), "killed": killed}
        print("%-16s %3d of %3d killed (%.1f %%)" % (module, killed, len(mine), 100.0 * killed / max(1, len(mine))))
    total, killed = len(results), sum(1 for r in results if r[2])
    print("%-16s %3d of %3d killed (%.1f %%) in %.0f s" % ("all", killed, total, 100.0 * killed / max(1, total), time.monotonic() - started))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"date": time.strftime("%Y-%m-%d"), "summary": summary,
                       "survivors": [{"module": m, "line": s[2], "mutation": s[3]} for m, s, k in results if not k]}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
