/**
 * `.fxp` corruption suite: every damaged or forged file must give one FxpError
 * naming the file (and node/op where one is involved), never another exception.
 * Forged files get a correct header and CRC here, so that the structural checks,
 * not the checksum, are what must catch them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FxpError } from '../../src/errors.js';
import { crc32 } from '../../src/export/crc32.js';
import { decodeFxp, encodeFxp, verifyFxGraph } from '../../src/export/fxp-file.js';
import { everyOpGraph, rng } from './fxp-file-fixtures.js';

const FILE = 'forged.fxp';
const GOOD = encodeFxp(everyOpGraph());

interface BlobEntry {
  count: number;
  bits: number;
  signed: number;
  reserved: number;
}

/** The sections of a file, parsed independently of the decoder (docs/fxp-format.md). */
interface Parts {
  version: number;
  flags: number;
  json: Uint8Array;
  table: BlobEntry[];
  data: Uint8Array;
}

function split(bytes: Uint8Array): Parts {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const j = view.getUint32(8, true);
  const b = view.getUint32(12, true);
  const d = view.getUint32(16, true);
  const table: BlobEntry[] = [];
  for (let i = 0; i < b; i++) {
    const at = 20 + j + 8 * i;
    table.push({ count: view.getUint32(at, true), bits: view.getUint8(at + 4), signed: view.getUint8(at + 5), reserved: view.getUint16(at + 6, true) });
  }
  const dataStart = 20 + j + 8 * b;
  return { version: view.getUint16(4, true), flags: view.getUint16(6, true), json: bytes.slice(20, 20 + j), table, data: bytes.slice(dataStart, dataStart + d) };
}

/** Assembles a file with consistent lengths and a correct CRC. */
function build(p: Parts): Uint8Array {
  const total = 20 + p.json.length + 8 * p.table.length + p.data.length + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set([0x46, 0x58, 0x50, 0x4e]);
  view.setUint16(4, p.version, true);
  view.setUint16(6, p.flags, true);
  view.setUint32(8, p.json.length, true);
  view.setUint32(12, p.table.length, true);
  view.setUint32(16, p.data.length, true);
  out.set(p.json, 20);
  p.table.forEach((e, i) => {
    const at = 20 + p.json.length + 8 * i;
    view.setUint32(at, e.count, true);
    view.setUint8(at + 4, e.bits);
    view.setUint8(at + 5, e.signed);
    view.setUint16(at + 6, e.reserved, true);
  });
  out.set(p.data, 20 + p.json.length + 8 * p.table.length);
  view.setUint32(total - 4, crc32(out, 0, total - 4), true);
  return out;
}

const jsonText = (p: Parts): string => new TextDecoder().decode(p.json);

/** A forged file whose JSON text is `edit(original)`; the edit must change something. */
function forgeJson(edit: (text: string) => string): Uint8Array {
  const p = split(GOOD);
  const before = jsonText(p);
  const after = edit(before);
  assert.notEqual(after, before, 'the forgery must change the JSON');
  return build({ ...p, json: new TextEncoder().encode(after) });
}

function forge(edit: (p: Parts) => void): Uint8Array {
  const p = split(GOOD);
  edit(p);
  return build(p);
}

/** decodeFxp must throw an FxpError naming FILE whose message matches `re` (and node/op if given). */
function rejects(bytes: Uint8Array, re: RegExp, where: { node?: string; op?: string } = {}): void {
  assert.throws(
    () => decodeFxp(bytes, FILE),
    (e: unknown) => {
      if (!(e instanceof FxpError)) return false;
      assert.equal(e.file, FILE, e.message);
      assert.match(e.message, re);
      if (where.node !== undefined) assert.equal(e.node, where.node, e.message);
      if (where.op !== undefined) assert.equal(e.op, where.op, e.message);
      return true;
    },
  );
}

test('the helpers reassemble the valid file byte for byte', () => {
  assert.deepEqual(build(split(GOOD)), GOOD);
});

test('wrong magic, version, flags and trailing bytes', () => {
  rejects(new TextEncoder().encode('FXPM and then some more bytes of garbage'), /not an \.fxp file: the first bytes are 46 58 50 4d/);
  rejects(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), /not an \.fxp file/);
  rejects(forge((p) => (p.version = 2)), /unsupported \.fxp format version 2 \(this reader supports version 1\)/);
  rejects(forge((p) => (p.version = 0)), /unsupported \.fxp format version 0/);
  rejects(forge((p) => (p.flags = 1)), /unsupported \.fxp flags 0x1/);
  const longer = new Uint8Array(GOOD.length + 3);
  longer.set(GOOD);
  rejects(longer, /3 unexpected bytes after the checksum/);
});

test('truncation at every offset is reported as truncation', () => {
  for (let n = 0; n < GOOD.length; n++) rejects(GOOD.subarray(0, n), /^truncated \.fxp file/);
});

test('every single-byte change is detected', () => {
  const bytes = GOOD.slice();
  for (let i = 0; i < bytes.length; i++) {
    for (const mask of [0xff, 1 << i % 8]) {
      bytes[i]! ^= mask;
      rejects(bytes, /./);
      bytes[i]! ^= mask;
    }
  }
  // Away from the header, the checksum is what catches it.
  const flipped = GOOD.slice();
  flipped[GOOD.length - 100]! ^= 4;
  rejects(flipped, /checksum mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)/);
});

test('forged JSON that does not parse, is not UTF-8, or is not a graph', () => {
  rejects(forgeJson((t) => t.slice(0, -1)), /the JSON section does not parse/);
  rejects(forge((p) => (p.json = Uint8Array.of(0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d))), /the JSON section does not parse/);
  rejects(forgeJson(() => 'null'), /graph: expected an object, got null/);
  rejects(forgeJson(() => '[]'), /graph: expected an object, got an array/);
  rejects(forgeJson((t) => t.replace('"name":"every-op"', '"name":"every-op","extra":1')), /unknown field "extra"/);
  rejects(forgeJson((t) => t.replace('"name":"every-op",', '')), /graph: missing field "name"/);
  rejects(forgeJson((t) => t.replace('"inputLayout":"NHWC"', '"inputLayout":"HWCN"')), /graph\.inputLayout: expected one of NCHW, NHWC/);
  rejects(forgeJson((t) => t.replace('"strategy":"goyal"', '"strategy":{"polluted":true}')), /graph\.meta\.strategy: expected a string/);
  // Deep nesting must not overflow any stack.
  rejects(forgeJson((t) => t.replace('"name":"every-op"', `"name":${'['.repeat(100000)}${']'.repeat(100000)}`)), /graph\.name: expected a string, got an array/);
});

test('forged nodes: missing fields, unknown ops, attrs of the wrong type', () => {
  const conv = { node: 'conv_dynamic', op: 'Conv' };
  rejects(forgeJson((t) => t.replace('"shape":[4,3,3,3],"wl":8,', '"shape":[4,3,3,3],')), /graph\.nodes\[0\]\.attrs\.weights: missing field "wl"/, conv);
  rejects(forgeJson((t) => t.replace('"op":"Mul"', '"op":"Mull"')), /unknown op "Mull"/, { node: 'mul', op: 'Mull' });
  rejects(forgeJson((t) => t.replace('"kernel":[3,3]', '"kernel":"3x3"')), /nodes\[0\]\.attrs\.kernel: expected an array, got the string "3x3"/, conv);
  rejects(forgeJson((t) => t.replace('"kernel":[3,3]', '"kernel":[3,3,3]')), /expected 2 numbers, got 3/, conv);
  rejects(forgeJson((t) => t.replace('"ceilMode":true', '"ceilMode":1')), /ceilMode: expected true or false, got number 1/, { node: 'maxpool', op: 'MaxPool' });
  rejects(forgeJson((t) => t.replace('"axis":1,"exp"', '"axis":1.5,"exp"')), /axis: expected an integer, got number 1\.5/, { node: 'softmax', op: 'Softmax' });
  rejects(forgeJson((t) => t.replace('"mode":"reflect"', '"mode":"mirror"')), /mode: expected one of constant, reflect, edge/, { node: 'pad', op: 'Pad' });
  const pad = { node: 'pad', op: 'Pad' };
  rejects(forgeJson((t) => t.replace('"mode":"reflect","value":-7', '"mode":"reflect","value":-7,"channelValues":[1,2,3,4]')), /channelValues need mode 'constant', got 'reflect'/, pad);
  rejects(forgeJson((t) => t.replace('"mode":"reflect","value":-7', '"mode":"constant","value":-7,"channelValues":"1,2"')), /attrs\.channelValues: expected an array/, pad);
  rejects(forgeJson((t) => t.replace('"mode":"reflect","value":-7', '"mode":"constant","value":-7,"channelValues":[1,2.5]')), /channelValues\[1\]: expected an integer/, pad);
  const forged = decodeFxp(forgeJson((t) => t.replace('"mode":"reflect","value":-7', '"mode":"constant","value":-7,"channelValues":[1,-2,3,-4]')), FILE);
  assert.deepEqual(forged.nodes.find((n) => n.op === 'Pad')!.attrs, { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'constant', value: -7, channelValues: [1, -2, 3, -4] });
  rejects(forgeJson((t) => t.replace('"kind":"Relu"', '"kind":"Gelu"')), /activation\.kind: expected one of Relu, Clip, LeakyRelu/, conv);
  rejects(forgeJson((t) => t.replace('"kind":"Clip","lo":-3', '"kind":"Clip","lo":-3,"m":1')), /unknown field "m"/, { node: 'conv_range' });
  rejects(forgeJson((t) => t.replace('"scales":[1,1,1.5,1.5]', '"scales":[1,1,1e999,1.5]')), /scales\[2\]: expected a finite number/, { node: 'resize' });
  rejects(forgeJson((t) => t.replace('"attrs":{}', '"attrs":{"x":1}')), /unknown field "x" \(expected no fields\)/, { node: 'mul' });
});

test('forged blob references and blob table', () => {
  rejects(forgeJson((t) => t.replace('{"blob":0}', '{"blob":999}')), /blob index 999 out of range \(the file has \d+ blobs\)/, { node: 'conv_dynamic' });
  rejects(forgeJson((t) => t.replace('{"blob":0}', '{"blob":-1}')), /blob index -1 out of range/);
  rejects(forgeJson((t) => t.replace('{"blob":0}', '{"blob":"0"}')), /expected a blob reference/);
  rejects(forgeJson((t) => t.replace('{"blob":0}', '[0]')), /expected a blob reference/);
  rejects(forgeJson((t) => t.replace('{"blob":1}', '{"blob":0}')), /blob 0 is referenced twice/);
  rejects(forge((p) => {
    p.table.push({ count: 3, bits: 8, signed: 1, reserved: 0 });
    p.data = Uint8Array.from([...p.data, 1, 2, 3]);
  }), new RegExp(`blob ${split(GOOD).table.length} is not referenced by the graph`));
  rejects(forge((p) => (p.table[0]!.bits = 0)), /blob table entry 0: invalid width 0 bits/);
  rejects(forge((p) => (p.table[0]!.bits = 33)), /blob table entry 0: invalid width 33 bits/);
  rejects(forge((p) => (p.table[0]!.signed = 2)), /blob table entry 0: signed flag 2 is not 0 or 1/);
  rejects(forge((p) => (p.table[0]!.reserved = 1)), /reserved bytes are not zero/);
  rejects(forge((p) => {
    p.table[0]!.signed = 0;
    p.table[0]!.bits = 32;
  }), /invalid width 32 bits \(unsigned/);
  // The blob table must account for exactly the blob section.
  rejects(forge((p) => (p.table[0]!.count -= 1)), /the blob section holds \d+ bytes but the blob table accounts for \d+/);
  rejects(forge((p) => (p.data = Uint8Array.from([...p.data, 0]))), /the blob table accounts for/);
  // Stray bits in a blob's last byte.
  rejects(forge((p) => {
    let end = 0;
    for (const e of p.table) {
      end += Math.ceil((e.count * e.bits) / 8);
      if ((e.count * e.bits) % 8 !== 0) break;
    }
    p.data[end - 1]! |= 0x80;
  }), /non-zero padding bits/);
});

test('forged sizes: absurd shapes and blob counts are rejected before allocation', () => {
  const conv = { node: 'conv_dynamic', op: 'Conv' };
  rejects(forgeJson((t) => t.replace('"shape":[4,3,3,3]', '"shape":[4,3,3,2]')), /blob 0 holds 108 elements, the declared shape needs 72/, conv);
  rejects(forgeJson((t) => t.replace('"shape":[4,3,3,3]', '"shape":[1000000,1000000,1,1]')), /\[1000000, 1000000, 1, 1\] is not a valid tensor shape of at most 2\^28 elements/, conv);
  rejects(forgeJson((t) => t.replace('"shape":[4,3,3,3]', '"shape":[1e12]')), /not a valid tensor shape/, conv);
  rejects(forgeJson((t) => t.replace('"shape":[4,3,3,3]', '"shape":[4,-3,3,-3]')), /not a valid tensor shape/, conv);
  rejects(forgeJson((t) => t.replace('"shape":["N",3,8,8]', '"shape":["N",1000000,1000000,1]')), /value 0 \('x'\) shape \[N, 1000000, 1000000, 1\] exceeds/);
  // Blob counts are checked against the limit and against the bytes actually present.
  const start = performance.now();
  rejects(forge((p) => (p.table[0]!.count = 2 ** 32 - 1)), /blob table entry 0: 4294967295 elements exceed the limit/);
  rejects(forge((p) => (p.table[0]!.count = 2 ** 28)), /blob table entry 0: 268435456 elements at 8 bits need 268435456 bytes, past the end of the blob section/);
  assert.ok(performance.now() - start < 1000, 'rejected without unpacking');
});

test('forged values: outside the declared width, impossible formats', () => {
  const conv = { node: 'conv_dynamic', op: 'Conv' };
  rejects(forgeJson((t) => t.replace('"shape":[4,3,3,3],"wl":8', '"shape":[4,3,3,3],"wl":7')), /weights\[0\] = -128 does not fit signed 7 bits/, conv);
  rejects(forgeJson((t) => t.replace('"shape":[4,3,3,3],"wl":8', '"shape":[4,3,3,3],"wl":1')), /weights wl 1 must be an integer in 2\.\.16/, conv);
  rejects(forgeJson((t) => t.replace('"shape":[4,3,3,3],"wl":8', '"shape":[4,3,3,3],"wl":17')), /weights wl 17 must be an integer in 2\.\.16/, conv);
  rejects(forgeJson((t) => t.replace('{"signed":true,"wl":8,"fl":7}', '{"signed":true,"wl":17,"fl":7}')), /value 0 \('x'\) format: wl 17 must be an integer in 2\.\.16/);
  rejects(forgeJson((t) => t.replace('{"signed":true,"wl":8,"fl":7}', '{"signed":true,"wl":8,"fl":65}')), /fl 65 must be an integer in -64\.\.64/);
  rejects(forgeJson((t) => t.replace('{"signed":true,"wl":8,"fl":7}', '{"signed":"yes","wl":8,"fl":7}')), /format\.signed: expected true or false/);
  rejects(forgeJson((t) => t.replace('"format":{"signed":true,"wl":32,"fl":12}', '"format":{"signed":true,"wl":33,"fl":12}')), /bias format: wl 33 must be an integer in 2\.\.32/, conv);
  rejects(forgeJson((t) => t.replace('"format":{"signed":true,"wl":32,"fl":12}', '"format":{"signed":true,"wl":16,"fl":12}')), /bias\[0\] = -2147483648 does not fit signed 16 bits/, conv);
  rejects(forgeJson((t) => t.replace('"format":{"signed":true,"wl":32,"fl":12}', '"format":{"signed":false,"wl":32,"fl":12}')), /bias format: wl 32 must be an integer in 2\.\.31/, conv);
  rejects(forgeJson((t) => t.replace('"kind":"accumulator","wl":20', '"kind":"accumulator","wl":19')), /bias\[0\] = -524288 does not fit signed 19 bits/, { node: 'conv_range' });
  rejects(forgeJson((t) => t.replace('"range":{"bits":12', '"range":{"bits":11')), /range\[1\] = 4095 does not fit unsigned 11 bits/, { node: 'conv_range' });
  rejects(forgeJson((t) => t.replace('"lo":-3,"hi":31', '"lo":32,"hi":31')), /clip bounds \[32, 31\]/, { node: 'conv_range' });
  rejects(forgeJson((t) => t.replace('"jMax":12067', '"jMax":70000')), /exp has 2 digit tables; jMax 70000 needs 3/, { node: 'softmax' });
  rejects(forgeJson((t) => t.replace('"kernel":[3,3],"strides":[1,1],"dilations":[1,1]', '"kernel":[3,3],"strides":[0,1],"dilations":[1,1]')), /strides \[0, 1\] must be two positive integers/, conv);
  rejects(forgeJson((t) => t.replace('"group":2', '"group":3')), /4 output channels are not divisible by group 3/, { node: 'conv_range' });
  rejects(forgeJson((t) => t.replace('"perm":[0,2,3,1]', '"perm":[0,2,2,1]')), /perm \[0, 2, 2, 1\] is not a permutation/, { node: 'transpose' });
});

test('forged graph structure: ids, topological order, arity, names', () => {
  rejects(forgeJson((t) => t.replace('"inputs":[0],"outputs":[1]', '"inputs":[99],"outputs":[1]')), /input id 99 out of range \(graph has 27 values\)/, { node: 'conv_dynamic', op: 'Conv' });
  rejects(forgeJson((t) => t.replace('"inputs":[0],"outputs":[1]', '"inputs":[0],"outputs":[-1]')), /output id -1 out of range/, { node: 'conv_dynamic' });
  rejects(forgeJson((t) => t.replace('"outputs":[26,22]', '"outputs":[26,99]')), /graph output id 99 out of range/);
  rejects(forgeJson((t) => t.replace('"outputs":[26,22]', '"outputs":[]')), /graph has no outputs/);
  rejects(forgeJson((t) => t.replace('"inputs":[0],"outputs":[26,22]', '"inputs":[0,0],"outputs":[26,22]')), /graph input 0 is listed twice/);
  rejects(forgeJson((t) => t.replace('"inputs":[0],"outputs":[1]', '"inputs":[2],"outputs":[1]')), /input 'c2' is read before it is written/, { node: 'conv_dynamic' });
  rejects(forgeJson((t) => t.replace('"inputs":[1],"outputs":[2]', '"inputs":[1],"outputs":[1]')), /output 'c1' is written twice/, { node: 'conv_range' });
  rejects(forgeJson((t) => t.replace('"inputs":[5,6]', '"inputs":[5]')), /takes 2 inputs, got 1/, { node: 'add', op: 'Add' });
  rejects(forgeJson((t) => t.replace('"inputs":[8,7]', '"inputs":[]')), /takes 1 or more inputs, got 0/, { node: 'concat', op: 'Concat' });
  rejects(forgeJson((t) => t.replace('"inputs":[5,6],"outputs":[7]', '"inputs":[5,6],"outputs":[7,8]')), /must have exactly one output, has 2/, { node: 'add' });
  rejects(forgeJson((t) => t.replace('"name":"relu","op"', '"name":"clip","op"')), /duplicate node name 'clip'/, { node: 'clip', op: 'Clip' });
  rejects(forgeJson((t) => t.replace('"inputs":[0],"outputs":[1]', '"inputs":[0.5],"outputs":[1]')), /inputs\[0\]: expected an integer, got number 0\.5/);
});

test('fuzz: thousands of random mutations give a valid graph or an FxpError, nothing else', (t) => {
  const rand = rng(2024);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const base = split(GOOD);
  const text = jsonText(base);
  const tokens = ['0', '1', '-1', '9', '255', '65536', '1e12', '1e999', '0.5', '"', ',', ':', '[', ']', '{', '}', 'null', 'true', '"x"', '{"blob":0}', '[]', '{}', ''];
  const outcomes = new Map<string, number>();
  let decoded = 0;
  const N = 4000;
  for (let iter = 0; iter < N; iter++) {
    let bytes: Uint8Array;
    const kind = iter % 4;
    if (kind === 0) {
      // Raw byte damage, checksum left stale.
      bytes = GOOD.slice();
      for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      if (rand() < 0.3) bytes = bytes.subarray(0, Math.floor(rand() * bytes.length));
    } else if (kind === 1) {
      // JSON token edits, re-checksummed.
      let t = text;
      for (let k = 1 + Math.floor(rand() * 2); k > 0; k--) {
        const at = Math.floor(rand() * t.length);
        const len = Math.floor(rand() * 4);
        t = t.slice(0, at) + pick(tokens) + t.slice(at + len);
      }
      bytes = build({ ...base, json: new TextEncoder().encode(t) });
    } else if (kind === 2) {
      // Numbers in the JSON nudged, re-checksummed: mostly well-formed, semantically wrong.
      const numbers = [...text.matchAll(/-?\d+/g)];
      const m = pick(numbers);
      const at = m.index;
      const replacement = String(Number(m[0]) + pick([-2, -1, 1, 2, 100, -100, 2 ** 31, 2 ** 40]));
      bytes = build({ ...base, json: new TextEncoder().encode(text.slice(0, at) + replacement + text.slice(at + m[0].length)) });
    } else {
      // Blob table and blob bytes damaged, re-checksummed.
      const p = split(GOOD);
      if (rand() < 0.5 && p.table.length > 0) {
        const e = pick(p.table);
        const field = pick(['count', 'bits', 'signed', 'reserved'] as const);
        e[field] = rand() < 0.5 ? e[field] + pick([-1, 1, 8]) : Math.floor(rand() * 40);
        if (e[field] < 0) e[field] = 0;
      } else {
        p.data[Math.floor(rand() * p.data.length)] = Math.floor(rand() * 256);
      }
      bytes = build(p);
    }
    try {
      const fx = decodeFxp(bytes, FILE);
      verifyFxGraph(fx);
      decodeFxp(encodeFxp(fx), FILE);
      decoded++;
    } catch (e) {
      if (!(e instanceof FxpError)) throw new Error(`mutation ${iter} (kind ${kind}) threw a non-FxpError: ${String(e)}`, { cause: e });
      assert.equal(e.file, FILE);
      const key = e.message.replace(/\d+/g, '#').slice(0, 40);
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
  }
  t.diagnostic(`${decoded} of ${N} mutations decoded; ${outcomes.size} distinct errors`);
  for (const [k, n] of [...outcomes].sort((a, b) => b[1] - a[1]).slice(0, 12)) t.diagnostic(`${n} x ${k}...`);
  // The fuzzer must reach far past the checksum: many distinct errors, and some valid graphs.
  assert.ok(outcomes.size > 30, `only ${outcomes.size} distinct errors`);
  assert.ok(decoded > 0 && decoded < N);
});
