/**
 * Pad (opset 11+: pads and constant_value are inputs; opset 18 adds axes).
 * Pads must be constant and non-negative (negative pads crop, which is not supported).
 */
import { canonicalAxis, integerValues, scalarValue, type NodeContext } from '../context.js';

const MODES = ['constant', 'reflect', 'edge'] as const;

export function convertPad(n: NodeContext): void {
  const x = n.input(0, 'input');
  const modeName = n.attrs.string('mode', 'constant');
  const mode = MODES.find((m) => m === modeName);
  if (mode === undefined) n.fail(`mode '${modeName}' is not supported (supported: ${MODES.join(', ')})`);
  const pc = n.constant(1, 'pads');
  if (pc === undefined) n.fail('missing pads (input 1)');
  const given = integerValues(n, pc, 'pads');
  if (given.some((p) => p < 0)) n.fail(`negative pads [${given.join(', ')}] (cropping) are not supported`);
  const vc = n.constant(2, 'constant_value');
  const value = vc === undefined ? 0 : scalarValue(n, vc, 'constant_value');
  const ac = n.opset >= 18 ? n.constant(3, 'axes') : undefined;
  let pads = given;
  if (ac !== undefined) {
    const rank = n.rank(x, 'the Pad input');
    const axes = integerValues(n, ac, 'axes').map((a) => canonicalAxis(n, a, rank, 'axes entry'));
    if (given.length !== 2 * axes.length) n.fail(`pads [${given.join(', ')}] need ${2 * axes.length} values for axes [${axes.join(', ')}]`);
    pads = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, i) => {
      pads[a] = given[i]!;
      pads[a + rank] = given[i + axes.length]!;
    });
  }
  if (pads.length % 2 !== 0) n.fail(`pads [${pads.join(', ')}] must have an even number of values`);
  const r = n.knownDims(x)?.length;
  if (r !== undefined && pads.length !== 2 * r) n.fail(`pads [${pads.join(', ')}] need ${2 * r} values for a rank-${r} input`);
  n.emit('Pad', { pads, mode, value }, [x], pads.length / 2);
}
