#!/usr/bin/python3
"""Parallax vs ONNX Runtime on the model zoo: latency, CPU time, peak RSS, accuracy.

  bench/compare_ort.py [--models yolov8n,clip_text] [--threads 1,2] [--rounds 3]
                       [--runs 10] [--warmup 2] [--json OUT.json] [--no-check]
                       [--parallax-seq]

For each model and thread count, K rounds are run. Each round starts one fresh
process per engine (`build/parallax bench ... --json` and `node bench/ort_bench.js`),
each doing --warmup untimed and --runs timed inferences. The engine order flips
every round (P,O / O,P / ...) so that slow drifts in machine load hit both sides
alike. For more than one thread, ORT is measured with both executors (sequential
and parallel, interOpNumThreads = threads); "ORT best" is the mode with the lower
median. Parallax runs in its default (parallel) mode; --parallax-seq adds a third
engine, parallax --mode sequential (the ablation baseline), and columns for it.

--lockstep alternates the engines run by run instead of process by process: each round
starts every engine once with --lockstep (after its warmup it waits on stdin), then asks
each for one timed run in turn (order flipped every turn, --gap seconds between runs so
that idle thread pools stop spinning), --runs turns in all. This machine's speed changes
in phases of seconds (a process lands in a fast or a slow one), so engines that ran
within the same ~100 ms saw the same machine: the per-run paired ratio (parallax run /
the ORT-best run of the same turn, median over all turns of all rounds) is the tightest
comparison, and the table adds its interquartile range.

An engine's latency = median of its per-round medians; the spread is the min-max
of the per-round medians. The paired ratio is the median over rounds of that round's
parallax median / ORT-best median (the two ran back to back: drift between rounds
cancels), with its range. CPU ms/run is the median over rounds, peak RSS the
max over rounds. The accuracy check runs `parallax run` once per model and
compares its outputs with models/<name>/outputs (the ORT references) using
tools/models/compare.py (normalized max error = max|a-b| / max|ref|).

Standard library only. Needs build/parallax, node + onnxruntime-node
(`npm install --ignore-scripts`), and the full models (tools/models/README.md).
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
ALL_MODELS = ["yolov8n", "distilbert", "whisper_encoder", "clip_text", "swinv2_tiny"]
MIB = 1024.0 * 1024.0


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def nproc():
    try:
        return int(subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return os.cpu_count()


def cpu_model():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg():
    try:
        return tuple(round(x, 2) for x in os.getloadavg())
    except OSError:
        return None


def git_rev():
    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_json(cmd, timeout):
    """Runs cmd, returns (parsed last JSON line of stdout, None) or (None, error text)."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None, f"timeout after {timeout}s"
    except OSError as e:
        return None, str(e)
    if p.returncode != 0:
        return None, f"exit {p.returncode}: {(p.stderr or p.stdout).strip()[-500:]}"
    for line in reversed(p.stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line), None
            except json.JSONDecodeError as e:
                return None, f"bad JSON ({e}): {line[:200]}"
    return None, f"no JSON line in output: {p.stdout.strip()[-300:]}"


def model_inputs(mdir):
    files = sorted((mdir / "inputs").glob("*.npy"))
    return [(f.stem, f) for f in files]


def parallax_cmd(args, mdir, threads, mode="parallel"):
    cmd = [str(args.parallax), "bench", str(mdir / "model.onnx"), "--threads", str(threads),
           "--runs", str(args.runs), "--warmup", str(args.warmup), "--json", "--mode", mode]
    for name, f in model_inputs(mdir):
        cmd += ["--input", f"{name}={f}"]
    return cmd


def ort_cmd(args, mdir, threads, mode):
    cmd = [args.node, str(ROOT / "bench" / "ort_bench.js"), str(mdir / "model.onnx"),
           "--input-dir", str(mdir / "inputs"), "--threads", str(threads), "--mode", mode,
           "--runs", str(args.runs), "--warmup", str(args.warmup)]
    if args.ort_no_spin:
        cmd.append("--no-spin")
    return cmd


def run_lockstep(cmds, runs, gap, timeout):
    """Starts every engine of cmds ({name: argv with --lockstep}), waits for each one's 'ready',
    then requests `runs` turns of one timed run per engine, the order flipped every turn.
    Returns ({name: final JSON}, {name: [ms per turn]}, {name: error text})."""
    procs, errs, live = {}, {}, []

    def read_line(name):
        line = procs[name].stdout.readline()
        if not line:
            raise RuntimeError(f"exited early: {procs[name].stderr.read().strip()[-300:]}")
        return line.strip()

    # One engine at a time loads and warms up (the ones before it wait on stdin, idle), so
    # that no warmup competes with another engine's.
    for name, cmd in cmds.items():
        try:
            procs[name] = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=subprocess.PIPE, text=True, bufsize=1, cwd=ROOT)
            if read_line(name) != "ready":
                raise RuntimeError("did not print 'ready'")
            live.append(name)
        except (OSError, RuntimeError) as e:
            errs[name] = str(e)
    times = {name: [] for name in procs}
    for turn in range(runs):
        for name in (live if turn % 2 == 0 else live[::-1]):
            if name in errs:
                continue
            time.sleep(gap)
            try:
                procs[name].stdin.write("run\n")
                procs[name].stdin.flush()
                times[name].append(float(read_line(name)))
            except (RuntimeError, ValueError, OSError) as e:
                errs[name] = str(e)
    results = {}
    for name, p in procs.items():
        try:
            out, err = p.communicate("quit\n", timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            errs.setdefault(name, "timeout at quit")
            continue
        if name in errs:
            continue
        if p.returncode != 0:
            errs[name] = f"exit {p.returncode}: {err.strip()[-300:]}"
            continue
        lines = [l for l in out.strip().splitlines() if l.startswith("{")]
        try:
            results[name] = json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError) as e:
            errs[name] = f"no final JSON ({e})"
    return results, times, errs


def quantile(values, q):
    """Nearest-rank quantile: sorted(values)[round(q * (n - 1))]."""
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]


def summarize(rounds):
    """rounds: list of per-round bench JSON dicts (successful ones)."""
    if not rounds:
        return None
    meds = [r["median_ms"] for r in rounds]
    return {
        "median_ms": statistics.median(meds),
        "spread_ms": [min(meds), max(meds)],
        "round_medians_ms": meds,
        "min_ms": min(r["min_ms"] for r in rounds),
        "cpu_ms_per_run": statistics.median(r["cpu_ms_per_run"] for r in rounds),
        "peak_rss_bytes": max(r["peak_rss_bytes"] for r in rounds),
    }


def check_accuracy(args, name, mdir):
    """Runs parallax once and compares with the ORT reference outputs."""
    with tempfile.TemporaryDirectory(prefix=f"parallax_{name}_") as tmp:
        cmd = [str(args.parallax), "run", str(mdir / "model.onnx"), "--output-dir", tmp]
        for iname, f in model_inputs(mdir):
            cmd += ["--input", f"{iname}={f}"]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, cwd=ROOT)
        except subprocess.TimeoutExpired:
            return {"error": "parallax run timed out"}
        if p.returncode != 0:
            return {"error": f"parallax run exit {p.returncode}: {p.stderr.strip()[-300:]}"}
        py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        c = subprocess.run([py, str(ROOT / "tools" / "models" / "compare.py"), tmp, str(mdir / "outputs"),
                            "--tol", str(args.tol)], capture_output=True, text=True, cwd=ROOT)
    errors, problems = {}, []
    for line in c.stdout.splitlines():
        m = re.match(r"(\S+): normalized max error (\S+) (ok|FAIL)", line.strip())
        if m:
            errors[m.group(1)] = float(m.group(2))
        elif line.strip():
            problems.append(line.strip())
    if not errors and not problems:
        problems.append((c.stderr or "compare.py printed nothing").strip()[-300:])
    return {
        "outputs": errors,
        "max_error": max(errors.values()) if errors else None,
        "ok": c.returncode == 0,
        "problems": problems,
    }


def num(x):
    """Milliseconds with about 3 significant digits (sub-ms tiny models stay readable)."""
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}" if x >= 1 else f"{x:.3f}"


def fmt_ms(s):
    if s is None:
        return "error"
    lo, hi = s["spread_ms"]
    return f"{num(s['median_ms'])} ({num(lo)}–{num(hi)})"


def fmt_mib(s):
    return "error" if s is None else f"{s['peak_rss_bytes'] / MIB:.0f}"


def fmt_cpu(s):
    return "error" if s is None else num(s["cpu_ms_per_run"])


def fmt_err(chk):
    if chk is None:
        return "–"
    if chk.get("error"):
        return "run failed"
    if chk["max_error"] is None:
        return "; ".join(chk["problems"])[:60] or "?"
    s = f"{chk['max_error']:.1e}"
    if chk["problems"]:
        s += " (" + "; ".join(chk["problems"]) + ")"
    elif not chk["ok"]:
        s += " FAIL"
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(ALL_MODELS), help="comma-separated (default: all five)")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds per engine (default 3)")
    ap.add_argument("--runs", type=int, default=10, help="timed runs per process (default 10)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs per process (default 2)")
    ap.add_argument("--json", metavar="OUT", help="also write all raw numbers to OUT")
    ap.add_argument("--no-check", action="store_true", help="skip the accuracy check")
    ap.add_argument("--tol", type=float, default=1e-4, help="accuracy tolerance marked FAIL (default 1e-4)")
    ap.add_argument("--parallax-seq", action="store_true",
                    help="also run parallax --mode sequential and report parallel/sequential")
    ap.add_argument("--ort-no-spin", action="store_true",
                    help="disable ORT thread-pool spinning (default: ORT's default, spinning on)")
    ap.add_argument("--lockstep", action="store_true",
                    help="alternate the engines run by run within each round (see above)")
    ap.add_argument("--gap", type=float, default=0.03,
                    help="seconds between two lockstep runs (default 0.03)")
    ap.add_argument("--models-dir", default=str(ROOT / "models"))
    ap.add_argument("--parallax", default=str(ROOT / "build" / "parallax"))
    ap.add_argument("--node", default=shutil.which("node") or "node")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per process (default 3600)")
    args = ap.parse_args()

    models = [m for m in args.models.split(",") if m]
    threads_list = [int(t) for t in args.threads.split(",") if t]
    if args.rounds < 1 or args.runs < 1 or args.warmup < 0:
        ap.error("--rounds and --runs must be >= 1, --warmup >= 0")
    if not os.access(args.parallax, os.X_OK):
        ap.error(f"{args.parallax} not found; build it: cmake -S . -B build && make -C build parallax_cli")
    mroot = pathlib.Path(args.models_dir)
    for m in models:
        if not (mroot / m / "model.onnx").exists():
            ap.error(f"{mroot / m / 'model.onnx'} missing; see tools/models/README.md (export.py, make_refs.py --full)")

    header = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "nproc": nproc(),
        "cpu_model": cpu_model(),
        "loadavg_start": loadavg(),
        "parallax_commit": git_rev(),
        "rounds": args.rounds, "runs": args.runs, "warmup": args.warmup,
        "ort_spinning": not args.ort_no_spin,
        "lockstep": args.lockstep,
    }
    results, checks = [], {}
    ort_version = None

    for name in models:
        mdir = mroot / name
        if not args.no_check:
            log(f"[{name}] accuracy check: parallax run vs models/{name}/outputs")
            checks[name] = check_accuracy(args, name, mdir)
            log(f"[{name}]   max error {fmt_err(checks[name])}")
        for threads in threads_list:
            modes = ["sequential", "parallel"] if threads > 1 else ["sequential"]
            engines = [("parallax", lambda t=threads: parallax_cmd(args, mdir, t))]
            if args.parallax_seq:
                engines.append(("parallax_seq", lambda t=threads: parallax_cmd(args, mdir, t, "sequential")))
            engines += [(f"ort_{m}", lambda t=threads, m=m: ort_cmd(args, mdir, t, m)) for m in modes]
            raw = {e: [] for e, _ in engines}
            errs = {e: [] for e, _ in engines}
            turns = {e: [] for e, _ in engines}  # lockstep: per-turn ms, rounds concatenated
            for k in range(args.rounds):
                order = engines if k % 2 == 0 else engines[::-1]
                if args.lockstep:
                    res_by, times, lerrs = run_lockstep({e: mk() + ["--lockstep"] for e, mk in order},
                                                        args.runs, args.gap, args.timeout)
                    n = min((len(v) for e, v in times.items() if e not in lerrs), default=0)
                    for e, _ in engines:
                        if e in lerrs:
                            errs[e].append(lerrs[e])
                            log(f"[{name} t={threads} round {k + 1}/{args.rounds}] {e}: ERROR {lerrs[e]}")
                            continue
                        res_by[e]["round"] = k
                        raw[e].append(res_by[e])
                        turns[e] += times[e][:n] + [None] * (args.runs - n)
                        ort_version = ort_version or res_by[e].get("ort_version")
                        log(f"[{name} t={threads} round {k + 1}/{args.rounds}] {e} (lockstep): median "
                            f"{res_by[e]['median_ms']:.1f} ms, rss {res_by[e]['peak_rss_bytes'] / MIB:.0f} MiB")
                    continue
                for ename, mk in order:
                    res, err = run_json(mk(), args.timeout)
                    if res is None:
                        errs[ename].append(err)
                        log(f"[{name} t={threads} round {k + 1}/{args.rounds}] {ename}: ERROR {err}")
                        continue
                    res["round"] = k
                    raw[ename].append(res)
                    ort_version = ort_version or res.get("ort_version")
                    log(f"[{name} t={threads} round {k + 1}/{args.rounds}] {ename}: median "
                        f"{res['median_ms']:.1f} ms, cpu {res['cpu_ms_per_run']:.1f} ms/run, "
                        f"rss {res['peak_rss_bytes'] / MIB:.0f} MiB")
            summ = {e: summarize(raw[e]) for e in raw}
            ort_modes = [m for m in modes if summ[f"ort_{m}"] is not None]
            best_mode = min(ort_modes, key=lambda m: summ[f"ort_{m}"]["median_ms"]) if ort_modes else None
            best = summ[f"ort_{best_mode}"] if best_mode else None
            ratio = (summ["parallax"]["median_ms"] / best["median_ms"]
                     if summ["parallax"] is not None and best is not None else None)
            # Paired: each round's parallax median over the same round's ORT (best mode) median;
            # the two ran back to back, so a drift in machine speed between rounds cancels.
            paired = []
            if best_mode is not None:
                ort_by_round = {r["round"]: r["median_ms"] for r in raw[f"ort_{best_mode}"]}
                paired = [r["median_ms"] / ort_by_round[r["round"]] for r in raw["parallax"]
                          if r["round"] in ort_by_round and ort_by_round[r["round"]] > 0]
            # Lockstep: per turn, parallax's run over the ORT-best mode's run of the same turn.
            turn_ratios = []
            if args.lockstep and best_mode is not None:
                turn_ratios = [p / o for p, o in zip(turns["parallax"], turns[f"ort_{best_mode}"])
                               if p is not None and o is not None and o > 0]
            cpu_ratio = (summ["parallax"]["cpu_ms_per_run"] / best["cpu_ms_per_run"]
                         if summ["parallax"] is not None and best is not None and best["cpu_ms_per_run"] > 0
                         else None)
            results.append({
                "model": name, "threads": threads,
                "parallax": summ["parallax"],
                "parallax_seq": summ.get("parallax_seq"),
                "planned_arena_bytes": {k: (raw["parallax"][0].get(k) if raw["parallax"] else None)
                                        for k in ("sequential_arena_bytes", "parallel_arena_bytes",
                                                  "concurrent_layers")},
                "ort_sequential": summ.get("ort_sequential"),
                "ort_parallel": summ.get("ort_parallel"),
                "ort_best_mode": best_mode,
                "ratio_parallax_over_ort": ratio,
                "paired_ratios": paired,
                "turn_ratios": turn_ratios,
                "turn_ms": turns if args.lockstep else None,
                "cpu_ratio_parallax_over_ort": cpu_ratio,
                "raw": raw, "errors": {e: v for e, v in errs.items() if v},
            })

    header["loadavg_end"] = loadavg()
    header["ort_version"] = ort_version

    # ---- report ----
    la0, la1 = header["loadavg_start"], header["loadavg_end"]
    print(f"{header['date']} · nproc {header['nproc']} · {header['cpu_model']} · "
          f"load avg start {' '.join(map(str, la0 or []))} / end {' '.join(map(str, la1 or []))} · "
          f"parallax {header['parallax_commit']} · onnxruntime-node {ort_version or '?'}"
          f"{'' if header['ort_spinning'] else ' (spinning off)'} · "
          f"{args.rounds} rounds × {args.runs} runs (+{args.warmup} warmup)"
          f"{f', lockstep (gap {args.gap} s)' if args.lockstep else ''}")
    print()
    print("| model | threads | parallax median ms (spread) | ORT seq ms (spread) | ORT par ms (spread) "
          "| ORT best ms | parallax/ORT | paired ratio (range) | parallax peak RSS MiB | ORT peak RSS MiB "
          "| parallax CPU ms/run | ORT CPU ms/run | max error |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        best = r[f"ort_{r['ort_best_mode']}"] if r["ort_best_mode"] else None
        par = fmt_ms(r["ort_parallel"]) if r["threads"] > 1 else "–"
        best_s = "error" if best is None else (
            num(best["median_ms"]) + (f" ({r['ort_best_mode'][:3]})" if r["threads"] > 1 else ""))
        ratio = "–" if r["ratio_parallax_over_ort"] is None else f"{r['ratio_parallax_over_ort']:.2f}"
        pr = r["paired_ratios"]
        paired = (f"{statistics.median(pr):.2f} ({min(pr):.2f}–{max(pr):.2f})" if pr else "–")
        print(f"| {r['model']} | {r['threads']} | {fmt_ms(r['parallax'])} | {fmt_ms(r['ort_sequential'])} "
              f"| {par} | {best_s} | {ratio} | {paired} | {fmt_mib(r['parallax'])} | {fmt_mib(best)} "
              f"| {fmt_cpu(r['parallax'])} | {fmt_cpu(best)} | {fmt_err(checks.get(r['model']))} |")
    if args.lockstep:
        print()
        print("| model | threads | ORT best mode | turns | per-run paired ratio: median | p25–p75 "
              "| runs parallax faster |")
        print("|---|---:|---|---:|---:|---:|---:|")
        for r in results:
            tr = r["turn_ratios"]
            if not tr:
                print(f"| {r['model']} | {r['threads']} | {r['ort_best_mode'] or '–'} | 0 | – | – | – |")
                continue
            faster = sum(1 for x in tr if x < 1.0)
            print(f"| {r['model']} | {r['threads']} | {r['ort_best_mode']} | {len(tr)} | {statistics.median(tr):.3f} "
                  f"| {quantile(tr, 0.25):.3f}–{quantile(tr, 0.75):.3f} | {faster}/{len(tr)} |")
    if args.parallax_seq:
        print()
        print("| model | threads | parallax parallel ms (spread) | parallax sequential ms (spread) "
              "| parallel/sequential | concurrent layers | planned arena seq MiB | planned arena par MiB "
              "| par/seq memory |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in results:
            par, seq, pa = r["parallax"], r["parallax_seq"], r["planned_arena_bytes"]
            ratio = f"{par['median_ms'] / seq['median_ms']:.3f}" if par and seq else "–"
            sa, pb = pa.get("sequential_arena_bytes"), pa.get("parallel_arena_bytes")
            mem = f"{pb / sa:.3f}" if sa and pb else "–"
            print(f"| {r['model']} | {r['threads']} | {fmt_ms(par)} | {fmt_ms(seq)} | {ratio} "
                  f"| {pa.get('concurrent_layers', '–')} | {sa / MIB if sa else 0:.2f} | {pb / MIB if pb else 0:.2f} "
                  f"| {mem} |")
    failed = [(r["model"], r["threads"], e, v) for r in results for e, v in r["errors"].items()]
    if failed:
        print()
        for m, t, e, v in failed:
            print(f"- {m} t={t} {e}: {len(v)} failed round(s): {v[0]}")

    if args.json:
        out = {"header": header, "results": results, "accuracy": checks,
               "command": [sys.argv[0]] + sys.argv[1:]}
        pathlib.Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
        log(f"raw numbers written to {args.json}")
    bad = failed or any(c.get("error") or not c.get("ok") for c in checks.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
