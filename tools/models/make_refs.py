#!/usr/bin/python3
"""Generate the seeded inputs and ONNX Runtime reference outputs for the model zoo.

For every model variant this writes
    <dir>/inputs/<input name>.npy    (zoo.make_inputs: fixed seed per model/variant)
    <dir>/outputs/<output name>.npy  (onnxruntime-node 1.30.0 via tools/models/ort_run.js)
where <dir> is tests/models/<name>_tiny (default) or models/<name> (--full).

Usage:
    tools/models/make_refs.py [--full] [--root DIR] [--only NAME[,NAME]] [--threads N]

Needs numpy (any python3) and `npm install --ignore-scripts` in the repo root.
The models must have been exported first (tools/models/export.py [--tiny]).
"""

import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import zoo  # noqa: E402


def make_refs(name, tiny, root, threads):
    d = zoo.model_dir(name, tiny, root)
    model = os.path.join(d, "model.onnx")
    if not os.path.exists(model):
        print("[%s] missing %s (run export.py first)" % (name, model))
        return False
    for sub in ("inputs", "outputs"):
        shutil.rmtree(os.path.join(d, sub), ignore_errors=True)
    paths = zoo.save_inputs(zoo.make_inputs(name, tiny), os.path.join(d, "inputs"))
    out_dir = os.path.join(d, "outputs")
    r = subprocess.run(zoo.ort_run_cmd(model, paths, out_dir, threads), capture_output=True, text=True)
    if r.returncode != 0:
        print("[%s] ORT failed:\n%s%s" % (name, r.stdout, r.stderr))
        return False
    timing = [l for l in r.stdout.splitlines() if l.startswith("load_ms")]
    print("[%s] %s  %s" % (os.path.basename(d), d, timing[0] if timing else ""))
    for k in zoo.INPUT_NAMES[name]:
        a = np.load(paths[k])
        print("  input  %-18s %-7s %s" % (k, a.dtype, list(a.shape)))
    for k in zoo.OUTPUT_NAMES[name]:
        p = os.path.join(out_dir, k + ".npy")
        if not os.path.exists(p):
            print("  output %s missing" % k)
            return False
        a = np.load(p)
        print("  output %-18s %-7s %s  mean %.4g  std %.4g" % (k, a.dtype, list(a.shape), a.mean(), a.std()))
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="full models under models/ instead of the tiny ones")
    ap.add_argument("--root", default=None, help="root folder (default: tests/models, or models with --full)")
    ap.add_argument("--only", default=None, help="comma-separated model names (%s)" % ",".join(zoo.ALL_NAMES))
    ap.add_argument("--threads", type=int, default=1, help="ORT intra-op threads (default 1)")
    a = ap.parse_args()
    if not zoo.ort_available():
        sys.exit("onnxruntime-node missing: run `npm install --ignore-scripts` in %s" % zoo.REPO)
    names = zoo.ALL_NAMES if not a.only else a.only.split(",")
    bad = [n for n in names if n not in zoo.CONFIGS]
    if bad:
        ap.error("unknown model(s): %s" % ", ".join(bad))
    failed = [n for n in names if not make_refs(n, not a.full, a.root, a.threads)]
    if failed:
        sys.exit("FAILED: " + ", ".join(failed))


if __name__ == "__main__":
    main()
