#!/usr/bin/python3
"""A/B of parallax builds (or of options) on one model, alternated run by run.

  bench/lockstep_ab.py MODEL THREADS BIN_A BIN_B [BIN ...] [--runs 40] [--gap 0.05]
                       [-- EXTRA ARGS FOR parallax bench]

Each binary is started once as `BIN bench MODEL --threads T --lockstep --json` (one at a time:
each loads, warms up and waits), then asked for one timed run each in turn, the order flipped
every turn, --gap seconds apart. This machine's speed moves in phases of seconds, so two runs of
one turn see the same machine; a ratio per turn (BIN / BIN_A) cancels the phase. Prints each
binary's median and p10/p90 and the median and quartiles of its per-turn ratio to the first.
The model's inputs are read from models/<name>/inputs/*.npy when MODEL is models/<name>/model.onnx
and no --input is given among the extra args. Standard library only.
"""
import pathlib
import statistics
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import compare_ort  # noqa: E402  (run_lockstep, model_inputs, quantile)


def main(argv):
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    runs, gap, pos = 40, 0.05, []
    it = iter(argv)
    for a in it:
        if a == "--runs":
            runs = int(next(it))
        elif a == "--gap":
            gap = float(next(it))
        else:
            pos.append(a)
    if len(pos) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    model, threads, bins = pathlib.Path(pos[0]), pos[1], pos[2:]
    if "--input" not in extra:
        for name, f in compare_ort.model_inputs(model.parent):
            extra += ["--input", f"{name}={f}"]
    cmds = {}
    for k, b in enumerate(bins):  # a binary may be given twice (A/A): keys stay distinct
        cmds[f"{k}:{b}"] = [b, "bench", str(model), "--threads", threads, "--warmup", "2", "--json",
                            "--lockstep"] + extra
    _, times, errs = compare_ort.run_lockstep(cmds, runs, gap, 3600)
    if errs:
        for k, e in errs.items():
            print(f"{k}: ERROR {e}", file=sys.stderr)
        return 1
    keys = list(cmds)
    base = times[keys[0]]
    for k in keys:
        v = times[k]
        r = [x / y for x, y in zip(v, base)]
        print(f"{k:30s} median {statistics.median(v):8.2f} ms  p10 {compare_ort.quantile(v, 0.1):8.2f}  "
              f"p90 {compare_ort.quantile(v, 0.9):8.2f} | per-turn ratio to the first: median {statistics.median(r):.4f} "
              f"(p25 {compare_ort.quantile(r, 0.25):.4f}, p75 {compare_ort.quantile(r, 0.75):.4f}), {len(v)} turns")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
