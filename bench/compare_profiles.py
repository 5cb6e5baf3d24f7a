#!/usr/bin/python3
"""Where the time goes, parallax against ONNX Runtime, node by node.

  bench/compare_profiles.py --parallax TRACE.json [TRACE.json ...] --ort PROFILE.json [...]
                            [--ort-warmup 2] [--top 25]

TRACE.json: `parallax profile MODEL -o TRACE.json` (one run: the median one). PROFILE.json:
`node bench/ort_bench.js MODEL ... --profile PREFIX` (every run; the first --ort-warmup runs of
each file are dropped). Several files of each: a node's time is its minimum over all runs of all
files, which drops the phases in which this machine runs slow (docs/benchmarks.md, "What is
measured"). Prints both engines' totals per op type (sums of those minima) and the nodes with the
same name in both graphs (ORT's suffixes such as "_output_0_nchwc" or "/MatMulAddFusion" are
stripped), largest difference first. Names differ where the engines fuse differently (ORT's
QuickGelu, its NCHWc reorders, our layout transposes) or one name covers a different set of
ops (our FusedAttention carries the name of the MatMul it ends with): read those by hand.

Take profiles of both engines in turn, several each: with two processes per engine a whole
engine can sit in a slow phase (CLIP at 1 thread: our first FFN GEMMs read 1.9 ms against ORT's 1.3
over 2 + 2 processes, 1.5 against 1.3 over 6 + 6).

  for i in 1 2 3 4 5 6; do
    build/parallax profile models/clip_text/model.onnx --threads 1 --runs 5 \
        --input input_ids=models/clip_text/inputs/input_ids.npy -o /tmp/px$i.json
    node bench/ort_bench.js models/clip_text/model.onnx --input-dir models/clip_text/inputs \
        --threads 1 --runs 5 --warmup 2 --profile /tmp/ort
  done
  bench/compare_profiles.py --parallax /tmp/px?.json --ort /tmp/ort_*.json

Standard library only.
"""
import argparse
import collections
import json
import re
import sys


def ort_key(name):
    name = re.sub(r"_kernel_time$", "", name)
    name = re.sub(r"_output_0(_nchwc)?$", "", name)
    name = re.sub(r"/(MatMulAddFusion|MatMulScaleFusion)/?$", "", name)
    return name


def load_ort(paths, warmup):
    """{(op, node): min ms over runs}"""
    best = {}
    for path in paths:
        events = json.load(open(path))
        runs = [e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"][warmup:]
        for r in runs:
            per = collections.defaultdict(float)
            t0, t1 = r["ts"], r["ts"] + r["dur"]
            for e in events:
                if e.get("cat") == "Node" and e["name"].endswith("_kernel_time") and t0 <= e["ts"] <= t1:
                    per[(e["args"]["op_name"], ort_key(e["name"]))] += e["dur"] / 1000.0
            for k, v in per.items():
                best[k] = min(v, best.get(k, v))
    return best


def load_parallax(paths):
    best = {}
    for path in paths:
        per = collections.defaultdict(float)
        for e in json.load(open(path))["traceEvents"]:
            if e.get("ph") == "X":
                per[(e["name"], e["args"]["node"])] += e["dur"] / 1000.0
        for k, v in per.items():
            best[k] = min(v, best.get(k, v))
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parallax", nargs="+", required=True)
    ap.add_argument("--ort", nargs="+", required=True)
    ap.add_argument("--ort-warmup", type=int, default=2, help="runs dropped from the start of each ORT file")
    ap.add_argument("--top", type=int, default=25, help="matched nodes listed (default 25)")
    args = ap.parse_args()
    px, ort = load_parallax(args.parallax), load_ort(args.ort, args.ort_warmup)
    if not px or not ort:
        print("error: no node events found", file=sys.stderr)
        return 1

    def by_op(d):
        out = collections.defaultdict(lambda: [0.0, 0])
        for (op, _), v in d.items():
            out[op][0] += v
            out[op][1] += 1
        return out

    for title, d in (("parallax", px), ("ONNX Runtime", ort)):
        ops = by_op(d)
        total = sum(v for v, _ in ops.values())
        print(f"{title}: sum of per-node minima {total:.2f} ms")
        for op, (v, n) in sorted(ops.items(), key=lambda x: -x[1][0]):
            print(f"  {op:32s} {n:4d} nodes {v:9.3f} ms {100 * v / total:5.1f}%")
        print()
    px_by_name = {n: v for (_, n), v in px.items()}
    ort_by_name = collections.defaultdict(float)
    for (_, n), v in ort.items():
        ort_by_name[n] += v
    both = [(px_by_name[n], ort_by_name[n], n) for n in px_by_name if n in ort_by_name]
    print(f"{len(both)} nodes in both: parallax {sum(b[0] for b in both):.2f} ms, "
          f"ORT {sum(b[1] for b in both):.2f} ms; largest differences:")
    for p, o, n in sorted(both, key=lambda b: -abs(b[0] - b[1]))[:args.top]:
        print(f"  {p:8.3f} {o:8.3f} {p - o:+8.3f} ms  {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
