/**
 * Gemm and MatMul with a constant right operand become Dense (W [M, K], y = x W^T + B).
 * Gemm's alpha and beta are folded into the constant weight and bias.
 */
import type { NodeContext } from '../context.js';
import type { OnnxConstant } from '../tensor.js';

/** W[m][k] = scale * B[k][m] for B [K, M] (transposed), or scale * B[m][k] for B [M, K]. */
function denseWeight(b: OnnxConstant, transposed: boolean, scale: number): { dims: [number, number]; data: Float32Array } {
  const [r, c] = b.dims as [number, number];
  const [m, k] = transposed ? [c, r] : [r, c];
  const data = new Float32Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) data[i * k + j] = scale * (transposed ? b.data[j * c + i]! : b.data[i * c + j]!);
  }
  return { dims: [m, k], data };
}

function constant2d(n: NodeContext, i: number, what: string): OnnxConstant {
  const b = n.constant(i, what);
  if (b === undefined) n.fail(`missing ${what} (input ${i})`);
  if (b.dims.length !== 2) n.fail(`${what} must be 2-D, got dims [${b.dims.join(', ')}]`);
  return b;
}

/** Gemm bias C must broadcast to [N, M] along rows only: dims [], [1], [M] or [1, M]. */
function gemmBias(n: NodeContext, c: OnnxConstant, m: number, beta: number): Float32Array {
  const d = c.dims;
  const rowVector = d.length <= 2 && d.slice(0, -1).every((x) => x === 1) && (d.length === 0 || d.at(-1) === m || d.at(-1) === 1);
  if (!rowVector) n.fail(`bias C dims [${d.join(', ')}] must broadcast as one row of ${m} values`);
  const out = new Float32Array(m);
  for (let j = 0; j < m; j++) out[j] = beta * (c.data.length === 1 ? c.data[0]! : c.data[j]!);
  return out;
}

export function convertGemm(n: NodeContext): void {
  if (n.attrs.int('transA', 0) !== 0) n.fail('transA=1 is not supported');
  const transB = n.attrs.int('transB', 0) !== 0;
  const alpha = n.attrs.float('alpha', 1);
  const beta = n.attrs.float('beta', 1);
  const x = n.input(0, 'input A');
  const r = n.knownDims(x)?.length;
  if (r !== undefined && r !== 2) n.fail(`input A must be 2-D, got rank ${r}`);
  const b = constant2d(n, 1, 'weight B');
  let wId: number;
  if (transB && alpha === 1) {
    wId = n.input(1, 'weight B');
  } else {
    const f = denseWeight(b, !transB, alpha);
    wId = n.addConstant('W', f.dims, f.data);
  }
  const m = transB ? b.dims[0]! : b.dims[1]!;
  const c = n.constant(2, 'bias C');
  if (c === undefined || beta === 0) {
    n.emit('Dense', {}, [x, wId], 2);
    return;
  }
  const bias = beta === 1 && c.dims.length === 1 && c.dims[0] === m ? n.input(2, 'bias C') : n.addConstant('B', [m], gemmBias(n, c, m, beta));
  n.emit('Dense', {}, [x, wId, bias], 2);
}

/** MatMul x [.., K] by a constant B [K, M]. */
export function convertMatMul(n: NodeContext): void {
  const x = n.input(0, 'input A');
  const r = n.knownDims(x)?.length;
  if (r !== undefined && r < 2) n.fail(`input A must be at least 2-D, got rank ${r}`);
  const b = n.constant(1, 'input B');
  if (b === undefined) n.fail('missing input B');
  if (b.dims.length !== 2) n.fail(`only MatMul by a constant 2-D matrix is supported, B has dims [${b.dims.join(', ')}]`);
  const w = denseWeight(b, true, 1);
  n.emit('Dense', {}, [x, n.addConstant('W', w.dims, w.data)], r);
}
