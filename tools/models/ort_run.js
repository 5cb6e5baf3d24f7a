#!/usr/bin/env node
'use strict';
// Run an ONNX model with ONNX Runtime (onnxruntime-node, CPU) on .npy inputs and
// write every output as DIR/<output name>.npy. Used to produce the reference
// outputs for the Parallax model zoo and as the ORT baseline for benchmarks.
//
//   node tools/models/ort_run.js MODEL.onnx --input NAME=FILE.npy ... --output-dir DIR
//        [--input-dir DIR] [--threads N] [--warmup W] [--repeat R]
//
// --input-dir loads <dir>/<input name>.npy for every model input not given with
// --input. --repeat R > 0 additionally times R runs (after W warmup runs) and
// prints min/median latency; the outputs written are those of the first run.

const path = require('path');
const fs = require('fs');
const { readNpy, writeNpy } = require('./npy');

function usage(msg) {
  if (msg) console.error('error: ' + msg);
  console.error('usage: node ort_run.js MODEL.onnx --input NAME=FILE.npy ... --output-dir DIR ' +
    '[--input-dir DIR] [--threads N] [--warmup W] [--repeat R]');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { model: null, inputs: {}, inputDir: null, outputDir: null, threads: 0, warmup: 1, repeat: 0 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => { if (i + 1 >= argv.length) usage(arg + ' needs a value'); return argv[++i]; };
    if (arg === '--input') {
      const v = next();
      const eq = v.indexOf('=');
      if (eq <= 0) usage('--input expects NAME=FILE.npy');
      a.inputs[v.slice(0, eq)] = v.slice(eq + 1);
    } else if (arg === '--input-dir') a.inputDir = next();
    else if (arg === '--output-dir') a.outputDir = next();
    else if (arg === '--threads') a.threads = parseInt(next(), 10);
    else if (arg === '--warmup') a.warmup = parseInt(next(), 10);
    else if (arg === '--repeat') a.repeat = parseInt(next(), 10);
    else if (arg === '-h' || arg === '--help') usage();
    else if (arg.startsWith('--')) usage('unknown option ' + arg);
    else if (a.model === null) a.model = arg;
    else usage('unexpected argument ' + arg);
  }
  if (!a.model) usage('missing MODEL.onnx');
  return a;
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
  const opts = {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
  };
  if (args.threads > 0) opts.intraOpNumThreads = args.threads;
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

  const t1 = process.hrtime.bigint();
  const results = await session.run(feeds);
  const firstMs = Number(process.hrtime.bigint() - t1) / 1e6;

  if (args.outputDir) fs.mkdirSync(args.outputDir, { recursive: true });
  for (const name of session.outputNames) {
    const r = results[name];
    if (args.outputDir) writeNpy(path.join(args.outputDir, name + '.npy'), r.type, r.dims, r.data);
    console.log(`output ${name} ${r.type} [${r.dims.join(', ')}]`);
  }
  console.log(`load_ms ${loadMs.toFixed(1)} first_run_ms ${firstMs.toFixed(1)}`);

  if (args.repeat > 0) {
    for (let i = 0; i < args.warmup; i++) await session.run(feeds);
    const times = [];
    for (let i = 0; i < args.repeat; i++) {
      const s = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    times.sort((x, y) => x - y);
    const med = times[Math.floor(times.length / 2)];
    console.log(`latency_ms min ${times[0].toFixed(3)} median ${med.toFixed(3)} runs ${times.length} ` +
      `threads ${args.threads > 0 ? args.threads : 'default'}`);
  }
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
