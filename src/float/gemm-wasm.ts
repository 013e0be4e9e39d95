/**
 * gemmPacked (gemm.ts) on the WASM kernel module: `gemm_f32` in
 * src/engine/kernels/wasm/gemm_f32.c computes the same sums in the same order
 * with f64x2 lanes, so the result is bit for bit the TS loop's (tested in
 * test/float/gemm-wasm.test.ts); it runs about twice as fast. The operands are
 * copied into a private WASM memory per call (one per thread), which pays only
 * when k is not tiny: gemm.ts decides. Undefined where WASM SIMD or shared
 * memory are unavailable (then the TS loop runs).
 */
import { loadKernelModule } from '../engine/kernels/wasm/loader.js';

type GemmFn = (m: number, n: number, k: number, a: number, b: number, c: number, ldc: number) => void;

const PAGE = 65536;
const MAX_PAGES = 32768;

interface State {
  readonly memory: WebAssembly.Memory;
  readonly fn: GemmFn;
  readonly base: number;
  view: Float32Array;
}

let state: State | null | undefined;

function init(): State | null {
  const module = loadKernelModule();
  if (module === undefined) return null;
  const memory = new WebAssembly.Memory({ initial: 32, maximum: MAX_PAGES, shared: true });
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as { gemm_f32?: GemmFn; __heap_base?: WebAssembly.Global };
  if (typeof ex.gemm_f32 !== 'function' || ex.__heap_base === undefined) return null;
  const base = (Number(ex.__heap_base.value) + 15) & ~15;
  return { memory, fn: ex.gemm_f32, base, view: new Float32Array(memory.buffer) };
}

/** The view of a memory of at least `bytes` bytes, or undefined past the 2 GiB limit. */
function reserve(s: State, bytes: number): Float32Array | undefined {
  const have = s.memory.buffer.byteLength;
  if (bytes > have) {
    const pages = Math.ceil((bytes - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) return undefined;
    s.memory.grow(pages);
  }
  if (s.view.length * 4 !== s.memory.buffer.byteLength) s.view = new Float32Array(s.memory.buffer);
  return s.view;
}

/**
 * C[cOff + i*ldc + j] += A·B for i < m, j < n, as gemmPacked with A packed in
 * `aLen` floats at ap[apOff] and B in `bLen` floats at bp[bpOff]. False (nothing
 * done) where WASM is unavailable or the operands do not fit.
 */
export function gemmWasm(
  m: number, n: number, k: number,
  ap: Float32Array, apOff: number, aLen: number,
  bp: Float32Array, bpOff: number, bLen: number,
  c: Float32Array, cOff: number, ldc: number,
): boolean {
  if (apOff + aLen > ap.length || bpOff + bLen > bp.length) return false;
  if (state === undefined) state = init();
  if (state === null) return false;
  const s = state;
  const aAt = s.base;
  const bAt = aAt + ((aLen * 4 + 15) & ~15);
  const cAt = bAt + ((bLen * 4 + 15) & ~15);
  const f = reserve(s, cAt + m * n * 4);
  if (f === undefined) return false;
  f.set(ap.subarray(apOff, apOff + aLen), aAt >> 2);
  f.set(bp.subarray(bpOff, bpOff + bLen), bAt >> 2);
  const c0 = cAt >> 2;
  for (let i = 0; i < m; i++) f.set(c.subarray(cOff + i * ldc, cOff + i * ldc + n), c0 + i * n);
  s.fn(m, n, k, aAt, bAt, cAt, n);
  for (let i = 0; i < m; i++) c.set(f.subarray(c0 + i * n, c0 + (i + 1) * n), cOff + i * ldc);
  return true;
}
