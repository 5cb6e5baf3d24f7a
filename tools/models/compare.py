#!/usr/bin/python3
"""Compare two folders of NAME.npy outputs: prints max|a-b|/max|b| per output.

  tools/models/compare.py GOT_DIR WANT_DIR [--tol 1e-4]    (exit 1 if any output exceeds tol)
"""
import argparse
import pathlib
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("got")
    ap.add_argument("want")
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    bad = False
    wants = sorted(pathlib.Path(args.want).glob("*.npy"))
    if not wants:
        print(f"no .npy files in {args.want}")
        return 1
    for want_path in wants:
        got_path = pathlib.Path(args.got) / want_path.name
        if not got_path.exists():
            print(f"{want_path.stem}: missing")
            bad = True
            continue
        a = np.load(got_path).astype(np.float64)
        b = np.load(want_path).astype(np.float64)
        if a.shape != b.shape:
            print(f"{want_path.stem}: shape {a.shape} != {b.shape}")
            bad = True
            continue
        err = np.abs(a - b).max() / max(np.abs(b).max(), 1e-12) if b.size else 0.0
        ok = err <= args.tol
        bad |= not ok
        print(f"{want_path.stem}: normalized max error {err:.3e} {'ok' if ok else 'FAIL'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
