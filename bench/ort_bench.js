#!/usr/bin/env node
'use strict';
// ONNX Runtime (onnxruntime-node, CPU) latency/memory benchmark, the baseline for
// `parallax bench --json`. Prints ONE JSON line with the same keys as parallax:
//
//   node bench/ort_bench.js MODEL.onnx --input-dir DIR --threads N
//        [--mode sequential|parallel] [--runs R] [--warmup W]
//        [--input NAME=FILE.npy ...] [--no-spin] [--lockstep] [--profile PREFIX]
//
// Session: graphOptimizationLevel 'all', intraOpNumThreads N, executionMode
// --mode (default sequential). In parallel mode interOpNumThreads is N too; in
// sequential mode it is 1 (the inter-op pool is unused). --no-spin sets
// session.intra_op.allow_spinning=0 (ORT spins by default, which inflates
// cpu_ms_per_run and steals cores from other processes).
//
// --profile PREFIX turns on ORT's profiler: it writes PREFIX_<date>.json (Chrome trace, one event
// per node and run, warmup included) at the end; bench/compare_profiles.py reads it.
//
// --lockstep (as `parallax bench --lockstep`): after the warmup a line 'ready', then one timed
// run per stdin line, its ms printed on a line of its own; EOF or 'quit' ends the timed runs
// (--runs is ignored).
// bench/compare_ort.py --lockstep drives both engines this way, alternating run by run.
//
// Statistics match tools/cli/bench_command.cc: W untimed warmup runs, then R
// timed runs; min, nearest-rank median and p90 of the wall times; cpu_ms_per_run =
// process user+sys CPU time (all threads) over the timed runs / R; peak_rss_bytes =
// process high-water RSS (node itself included; see rss_before_session_bytes).

const path = require('path');
const { readNpy } = require('../tools/models/npy');

function usage(msg) {
  if (msg) console.error('error: ' + msg);
  console.error('usage: node bench/ort_bench.js MODEL.onnx --input-dir DIR --threads N ' +
    '[--mode sequential|parallel] [--runs R] [--warmup W] [--input NAME=FILE.npy ...] [--no-spin] [--lockstep] ' +
    '[--profile PREFIX]');
  process.exit(2);
}

function parseIntArg(name, v, min) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) usage(`${name} expects an integer >= ${min}, got "${v}"`);
  return n;
}

function parseArgs(argv) {
  const a = { model: null, inputs: {}, inputDir: null, threads: 1, mode: 'sequential',
    runs: 10, warmup: 2, spin: true, lockstep: false, profile: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => { if (i + 1 >= argv.length) usage(arg + ' needs a value'); return argv[++i]; };
    if (arg === '--input') {
      const v = next();
      const eq = v.indexOf('=');
      if (eq <= 0) usage('--input expects NAME=FILE.npy');
      a.inputs[v.slice(0, eq)] = v.slice(eq + 1);
    } else if (arg === '--input-dir') a.inputDir = next();
    else if (arg === '--threads') a.threads = parseIntArg(arg, next(), 1);
    else if (arg === '--mode') a.mode = next();
    else if (arg === '--runs') a.runs = parseIntArg(arg, next(), 1);
    else if (arg === '--warmup') a.warmup = parseIntArg(arg, next(), 0);
    else if (arg === '--no-spin') a.spin = false;
    else if (arg === '--lockstep') a.lockstep = true;
    else if (arg === '--profile') a.profile = next();
    else if (arg === '-h' || arg === '--help') usage();
    else if (arg.startsWith('--')) usage('unknown option ' + arg);
    else if (a.model === null) a.model = arg;
    else usage('unexpected argument ' + arg);
  }
  if (!a.model) usage('missing MODEL.onnx');
  if (a.mode !== 'sequential' && a.mode !== 'parallel') usage('--mode must be sequential or parallel');
  return a;
}

// Same as parallax's Percentile(): sorted[round(q * (n - 1))].
function percentile(sorted, q) {
  const i = Math.floor(q * (sorted.length - 1) + 0.5);
  return sorted[Math.min(i, sorted.length - 1)];
}

function cpuSeconds() {
  const u = process.cpuUsage(); // microseconds, whole process (all threads)
  return (u.user + u.system) / 1e6;
}

function peakRssBytes() {
  return process.resourceUsage().maxRSS * 1024; // maxRSS is in KiB
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    console.error('error: onnxruntime-node not found; run `npm install --ignore-scripts` in the repo root');
    process.exit(1);
  }
  const rssBefore = peakRssBytes();
  const opts = {
    graphOptimizationLevel: 'all',
    executionMode: args.mode,
    intraOpNumThreads: args.threads,
    interOpNumThreads: args.mode === 'parallel' ? args.threads : 1,
  };
  if (args.profile) {
    opts.enableProfiling = true;
    opts.profileFilePrefix = args.profile;
  }
  if (!args.spin) opts.extra = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(args.model, opts);
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;

  const feeds = {};
  for (const name of session.inputNames) {
    let file = args.inputs[name];
    if (!file && args.inputDir) file = path.join(args.inputDir, name + '.npy');
    if (!file) usage('no value for model input "' + name + '" (inputs: ' + session.inputNames.join(', ') + ')');
    const t = readNpy(file);
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  for (const name of Object.keys(args.inputs)) {
    if (!session.inputNames.includes(name)) usage('model has no input "' + name + '"');
  }

  for (let i = 0; i < args.warmup; i++) await session.run(feeds);
  const ms = [];
  let cpuTotal = 0;
  const timedRun = async () => {
    const c0 = cpuSeconds();
    const s = process.hrtime.bigint();
    await session.run(feeds);
    const e = process.hrtime.bigint();
    cpuTotal += cpuSeconds() - c0;
    ms.push(Number(e - s) / 1e6);
  };
  if (args.lockstep) {
    process.stdout.write('ready\n');
    const lines = require('readline').createInterface({ input: process.stdin, terminal: false });
    for await (const line of lines) {
      if (line.trim() === 'quit') break;
      await timedRun();
      process.stdout.write(ms[ms.length - 1].toFixed(4) + '\n');
    }
    lines.close();
    if (ms.length === 0) { console.error('error: no timed runs (--lockstep got no request line)'); process.exit(1); }
    args.runs = ms.length;
  } else {
    for (let i = 0; i < args.runs; i++) await timedRun();
  }
  const sorted = ms.slice().sort((x, y) => x - y);
  const r4 = (x) => Math.round(x * 1e4) / 1e4;
  const out = {
    model: args.model,
    engine: 'onnxruntime-node',
    ort_version: ort.env && ort.env.versions ? ort.env.versions.common : undefined,
    threads: args.threads,
    mode: args.mode,
    spinning: args.spin,
    runs: args.runs,
    min_ms: r4(sorted[0]),
    median_ms: r4(percentile(sorted, 0.5)),
    p90_ms: r4(percentile(sorted, 0.9)),
    cpu_ms_per_run: r4(1000 * cpuTotal / args.runs),
    peak_rss_bytes: peakRssBytes(),
    rss_before_session_bytes: rssBefore,
    load_ms: r4(loadMs),
  };
  if (args.profile) await session.endProfiling();
  console.log(JSON.stringify(out));
  if (typeof session.release === 'function') await session.release();
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
