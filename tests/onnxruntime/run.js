#!/usr/bin/env node
// Test harness: runs an ONNX model in ONNX Runtime (CPU, bundled by onnxruntime-node) for fixed inputs.
//
//   node run.js request.json
//
// request.json:
//   { "model": "g.onnx", "outputDir": "out",
//     "inputs": [ { "name": "z", "type": "float32", "dims": [1, 8], "file": "z.bin" },        // raw little-endian
//                 { "name": "y", "type": "int64",   "dims": [1],    "data": [3] } ],         // or inline numbers
//     "threads": 1, "warmup": 0, "repeat": 1 }
//
// Writes <outputDir>/<index>.bin (raw little-endian, one per output) and <outputDir>/result.json:
//   { "outputs": [ { "name", "type", "dims", "file" } ], "runMs": [...], "inputMetadata": [...], "outputMetadata": [...] }
// Exit codes: 0 ok, 2 bad request, 3 onnxruntime-node missing, 4 ORT failed to load or run the model.
'use strict';
const fs = require('fs');
const path = require('path');

function fail(code, message) {
  process.stderr.write(`run.js: ${message}\n`);
  process.exit(code);
}

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  fail(3, `cannot load onnxruntime-node (${e.message.split('\n')[0]}); ` +
    `install it with: (cd ${__dirname} && npm install --ignore-scripts), or run scripts/install-deps.sh`);
}

const ARRAYS = {
  float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array, uint8: Uint8Array, int8: Int8Array, bool: Uint8Array,
};

function inputTensor(spec, baseDir) {
  const Ctor = ARRAYS[spec.type];
  if (!Ctor) fail(2, `input '${spec.name}': unsupported type '${spec.type}' (expected one of ${Object.keys(ARRAYS).join(', ')})`);
  if (!Array.isArray(spec.dims) || spec.dims.some(d => !Number.isInteger(d) || d < 0)) fail(2, `input '${spec.name}': dims must be non-negative integers`);
  const count = spec.dims.reduce((a, b) => a * b, 1);
  let data;
  if (spec.file !== undefined) {
    const buf = fs.readFileSync(path.resolve(baseDir, spec.file));
    if (buf.length !== count * Ctor.BYTES_PER_ELEMENT) {
      fail(2, `input '${spec.name}': file ${spec.file} has ${buf.length} bytes, dims [${spec.dims}] of ${spec.type} need ${count * Ctor.BYTES_PER_ELEMENT}`);
    }
    data = new Ctor(count);
    new Uint8Array(data.buffer).set(buf); // copy: a Buffer may be unaligned
  } else if (Array.isArray(spec.data)) {
    if (spec.data.length !== count) fail(2, `input '${spec.name}': ${spec.data.length} values for dims [${spec.dims}] (${count} expected)`);
    data = Ctor === BigInt64Array ? BigInt64Array.from(spec.data.map(v => BigInt(v))) : Ctor.from(spec.data);
  } else {
    fail(2, `input '${spec.name}': give either "file" or "data"`);
  }
  return new ort.Tensor(spec.type, data, spec.dims);
}

async function main() {
  if (process.argv.length !== 3) fail(2, 'usage: node run.js request.json');
  const requestPath = path.resolve(process.argv[2]);
  const baseDir = path.dirname(requestPath);
  let req;
  try { req = JSON.parse(fs.readFileSync(requestPath, 'utf8')); } catch (e) { fail(2, `cannot read request ${requestPath}: ${e.message}`); }
  if (typeof req.model !== 'string' || typeof req.outputDir !== 'string') fail(2, 'request needs "model" and "outputDir"');
  const modelPath = path.resolve(baseDir, req.model);
  const outDir = path.resolve(baseDir, req.outputDir);
  fs.mkdirSync(outDir, { recursive: true });

  const feeds = {};
  for (const spec of req.inputs || []) feeds[spec.name] = inputTensor(spec, baseDir);

  let session;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: req.threads || 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    });
  } catch (e) {
    fail(4, `ONNX Runtime ${ort.env.versions.common} cannot load ${modelPath}: ${e.message}`);
  }

  const runMs = [];
  let results;
  try {
    for (let i = 0; i < (req.warmup || 0); i++) await session.run(feeds);
    for (let i = 0; i < Math.max(1, req.repeat || 1); i++) {
      const t0 = process.hrtime.bigint();
      results = await session.run(feeds);
      runMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } catch (e) {
    fail(4, `ONNX Runtime failed to run ${modelPath}: ${e.message}`);
  }

  const outputs = session.outputNames.map((name, i) => {
    const t = results[name];
    const file = `${i}.bin`;
    const d = t.data;
    fs.writeFileSync(path.join(outDir, file), Buffer.from(d.buffer, d.byteOffset, d.byteLength));
    return { name, type: t.type, dims: t.dims.map(Number), file };
  });
  const result = {
    ortVersion: ort.env.versions.common,
    outputs,
    runMs,
    inputMetadata: session.inputMetadata,
    outputMetadata: session.outputMetadata,
  };
  fs.writeFileSync(path.join(outDir, 'result.json'), JSON.stringify(result, null, 1));
}

main().catch(e => fail(4, e.stack || String(e)));
