'use strict';
// Minimal .npy (NumPy format v1/v2/v3) reader/writer for the ONNX Runtime
// reference runner. Little-endian, C order only.

const fs = require('fs');

// npy descr -> { ort: ONNX Runtime tensor type, Arr: typed array, size: bytes }
const DESCR = {
  '<f4': { ort: 'float32', Arr: Float32Array, size: 4 },
  '<f8': { ort: 'float64', Arr: Float64Array, size: 8 },
  '<f2': { ort: 'float16', Arr: Uint16Array, size: 2 },
  '<i8': { ort: 'int64', Arr: BigInt64Array, size: 8 },
  '<i4': { ort: 'int32', Arr: Int32Array, size: 4 },
  '<i2': { ort: 'int16', Arr: Int16Array, size: 2 },
  '|i1': { ort: 'int8', Arr: Int8Array, size: 1 },
  '<u8': { ort: 'uint64', Arr: BigUint64Array, size: 8 },
  '<u4': { ort: 'uint32', Arr: Uint32Array, size: 4 },
  '<u2': { ort: 'uint16', Arr: Uint16Array, size: 2 },
  '|u1': { ort: 'uint8', Arr: Uint8Array, size: 1 },
  '|b1': { ort: 'bool', Arr: Uint8Array, size: 1 },
};
// Single-byte types may also be written with '<' or '=' by some writers.
for (const k of ['i1', 'u1', 'b1']) {
  DESCR['<' + k] = DESCR['|' + k];
  DESCR['=' + k] = DESCR['|' + k];
}

const ORT_TO_DESCR = {
  float32: '<f4', float64: '<f8', float16: '<f2', int64: '<i8', int32: '<i4', int16: '<i2',
  int8: '|i1', uint64: '<u8', uint32: '<u4', uint16: '<u2', uint8: '|u1', bool: '|b1',
};

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

function parseHeader(text) {
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) throw new Error('bad .npy header: ' + text);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0)
    .map((s) => parseInt(s, 10));
  return { descr: descr[1], fortran: fortran[1] === 'True', dims };
}

// Returns { type, dims, data } where type is an ONNX Runtime tensor type name.
function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new Error(path + ': not a .npy file');
  const major = buf[6];
  let hlen, off;
  if (major === 1) { hlen = buf.readUInt16LE(8); off = 10; }
  else if (major === 2 || major === 3) { hlen = buf.readUInt32LE(8); off = 12; }
  else throw new Error(path + ': unsupported .npy version ' + major);
  const h = parseHeader(buf.toString('latin1', off, off + hlen));
  if (h.fortran) throw new Error(path + ': fortran_order arrays are not supported');
  const info = DESCR[h.descr];
  if (!info) throw new Error(path + ': unsupported dtype ' + h.descr);
  const count = h.dims.reduce((a, b) => a * b, 1);
  const start = off + hlen;
  const nbytes = count * info.size;
  if (buf.length - start < nbytes) throw new Error(path + ': truncated data');
  // Copy into a fresh, aligned ArrayBuffer.
  const ab = new ArrayBuffer(nbytes);
  new Uint8Array(ab).set(buf.subarray(start, start + nbytes));
  return { type: info.ort, dims: h.dims, data: new info.Arr(ab) };
}

function writeNpy(path, type, dims, data) {
  const descr = ORT_TO_DESCR[type];
  if (!descr) throw new Error('cannot write tensor type ' + type + ' to .npy');
  const info = DESCR[descr];
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad so that magic(6)+version(2)+len(2)+header is a multiple of 64, ending in '\n'.
  const total = 10 + header.length + 1;
  header = header + ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre, 0);
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  let body;
  if (type === 'bool' && !(data instanceof Uint8Array)) {
    body = Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)));
  } else {
    const typed = data instanceof info.Arr ? data : info.Arr.from(data);
    body = Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
  }
  fs.writeFileSync(path, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

module.exports = { readNpy, writeNpy };
