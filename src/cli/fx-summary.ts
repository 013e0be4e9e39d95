/** Per-layer format tables of fixed-point graphs, for `quantize` and `inspect`. */
import type { FxGraph, FxNode } from '../engine/fx-graph.js';
import { formatToString } from '../fixed/format.js';

export interface FxLayerRow {
  readonly name: string;
  readonly op: string;
  readonly weights?: string;
  readonly bias?: string;
  readonly input: string;
  readonly output: string;
}

function flSummary(fl: readonly number[]): string {
  if (fl.length === 1) return String(fl[0]);
  const lo = Math.min(...fl);
  const hi = Math.max(...fl);
  return lo === hi ? String(lo) : `${lo}..${hi}`;
}

export function paramsOf(n: FxNode): { weights?: string; bias?: string } {
  if (n.op !== 'Conv' && n.op !== 'ConvTranspose' && n.op !== 'Dense' && n.op !== 'ChannelAffine') return {};
  const w = n.attrs.weights;
  const weights = w.range === undefined ? `Q(s,${w.wl},${flSummary(w.fl)})` : `RA(${w.wl}-bit, range ${w.range.bits}-bit${w.range.data.length > 1 ? ' per channel' : ''})`;
  const b = n.attrs.bias;
  const bias = b === undefined ? undefined : b.kind === 'format' ? formatToString(b.format) : `acc(${b.wl}-bit)`;
  return bias === undefined ? { weights } : { weights, bias };
}

export function fxLayerRows(fx: FxGraph): FxLayerRow[] {
  return fx.nodes.map((n) => ({
    name: n.name,
    op: n.op,
    ...paramsOf(n),
    input: formatToString(fx.values[n.inputs[0]!]!.format),
    output: formatToString(fx.values[n.outputs[0]!]!.format),
  }));
}
