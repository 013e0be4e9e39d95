/**
 * Resize (nearest only) and the deprecated Upsample. Scales or sizes must be
 * constants; the IR carries one scale (or size) per dim.
 */
import type { ResizeCoordinateMode, ResizeNearestMode } from '../../../ir/ops.js';
import { canonicalAxis, integerValues, type NodeContext } from '../context.js';

const COORDINATE_MODES: readonly ResizeCoordinateMode[] = ['asymmetric', 'half_pixel', 'pytorch_half_pixel', 'align_corners', 'tf_half_pixel_for_nn'];
const NEAREST_MODES: readonly ResizeNearestMode[] = ['floor', 'ceil', 'round_prefer_floor', 'round_prefer_ceil'];

function pick<T extends string>(n: NodeContext, attr: string, def: T, allowed: readonly T[]): T {
  const s = n.attrs.string(attr, def);
  const found = allowed.find((a) => a === s);
  if (found === undefined) n.fail(`${attr} '${s}' is not supported (supported: ${allowed.join(', ')})`);
  return found;
}

function checkNearest(n: NodeContext): void {
  const mode = n.attrs.string('mode', 'nearest');
  if (mode !== 'nearest') n.fail(`mode '${mode}' is not supported (nearest only)`);
}

/** Expands per-axis values (opset 18 `axes`) to one per dim, filling the others with `fill(dim)`. */
function perDim(n: NodeContext, x: number, values: readonly number[], fill: (dim: number) => number): number[] {
  const axesAttr = n.opset >= 18 ? n.attrs.optInts('axes') : undefined;
  if (axesAttr === undefined) return [...values];
  const rank = n.rank(x, 'the Resize input');
  const axes = axesAttr.map((a) => canonicalAxis(n, a, rank, 'axes entry'));
  if (axes.length !== values.length) n.fail(`got ${values.length} scales/sizes for axes [${axesAttr.join(', ')}]`);
  const out = Array.from({ length: rank }, (_, d) => (axes.includes(d) ? values[axes.indexOf(d)]! : fill(d)));
  return out;
}

export function convertResize(n: NodeContext): void {
  checkNearest(n);
  const x = n.input(0, 'input');
  const coordinateMode = pick(n, 'coordinate_transformation_mode', 'half_pixel', COORDINATE_MODES);
  const nearestMode = pick(n, 'nearest_mode', 'round_prefer_floor', NEAREST_MODES);
  const policy = n.opset >= 18 ? n.attrs.string('keep_aspect_ratio_policy', 'stretch') : 'stretch';
  if (policy !== 'stretch') n.fail(`keep_aspect_ratio_policy '${policy}' is not supported (stretch only)`);
  const sc = n.constant(2, 'scales');
  const sz = n.constant(3, 'sizes');
  const rank = n.knownDims(x)?.length;
  if (sc !== undefined && sc.data.length > 0) {
    if (sz !== undefined && sz.data.length > 0) n.fail('only one of scales and sizes may be given');
    const scales = perDim(n, x, Array.from(sc.data), () => 1);
    if (scales.some((v) => !(v > 0 && Number.isFinite(v)))) n.fail(`scales [${scales.join(', ')}] must be positive`);
    n.emit('Resize', { scales, coordinateMode, nearestMode }, [x], rank ?? scales.length);
    return;
  }
  if (sz === undefined || sz.data.length === 0) n.fail('needs constant scales or sizes');
  const dims = n.knownDims(x);
  const sizes = perDim(n, x, integerValues(n, sz, 'sizes'), (d) => {
    const v = dims?.[d];
    if (v === undefined) n.fail('sizes for a subset of axes need the other input dims to be static');
    return v;
  });
  if (sizes.some((v) => v < 1)) n.fail(`sizes [${sizes.join(', ')}] must be positive`);
  n.emit('Resize', { scales: [], sizes, coordinateMode, nearestMode }, [x], rank ?? sizes.length);
}

/** Upsample (deprecated since opset 10): nearest, output index i reads input floor(i / scale). */
export function convertUpsample(n: NodeContext): void {
  checkNearest(n);
  const x = n.input(0, 'input');
  const sc = n.constant(1, 'scales');
  if (sc === undefined) n.fail('missing scales (input 1)');
  const scales = Array.from(sc.data);
  if (scales.some((v) => !(v > 0 && Number.isFinite(v)))) n.fail(`scales [${scales.join(', ')}] must be positive`);
  n.emit('Resize', { scales, coordinateMode: 'asymmetric', nearestMode: 'floor' }, [x], scales.length);
}
