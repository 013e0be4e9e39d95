/**
 * MaxPool, AveragePool (2-D), GlobalMaxPool, GlobalAveragePool. MaxPool's
 * optional Indices output is not supported (the importer fails if it is read).
 */
import type { PoolAttrs } from '../../../ir/ops.js';
import type { NodeContext } from '../context.js';
import { autoPadOf, checkRank4, kernelOf, padsAttr, pairAttr } from './window.js';

function poolAttrs(n: NodeContext, dilations: boolean): PoolAttrs {
  const ceil = n.attrs.int('ceil_mode', 0);
  if (ceil !== 0 && ceil !== 1) n.fail(`ceil_mode must be 0 or 1, got ${ceil}`);
  return {
    kernel: kernelOf(n),
    strides: pairAttr(n, 'strides', [1, 1]),
    dilations: dilations ? pairAttr(n, 'dilations', [1, 1]) : [1, 1],
    pads: padsAttr(n),
    autoPad: autoPadOf(n),
    ceilMode: ceil === 1,
  };
}

export function convertMaxPool(n: NodeContext): void {
  const x = n.input(0, 'input');
  checkRank4(n, x);
  n.emit('MaxPool', poolAttrs(n, true), [x], 4);
}

/** AveragePool has no dilations before opset 19. */
export function convertAveragePool(n: NodeContext): void {
  const x = n.input(0, 'input');
  checkRank4(n, x);
  const include = n.attrs.int('count_include_pad', 0);
  if (include !== 0 && include !== 1) n.fail(`count_include_pad must be 0 or 1, got ${include}`);
  n.emit('AveragePool', { ...poolAttrs(n, false), countIncludePad: include === 1 }, [x], 4);
}

export function convertGlobalMaxPool(n: NodeContext): void {
  const x = n.input(0, 'input');
  n.emit('GlobalMaxPool', {}, [x], n.knownDims(x)?.length);
}

export function convertGlobalAveragePool(n: NodeContext): void {
  const x = n.input(0, 'input');
  n.emit('GlobalAveragePool', {}, [x], n.knownDims(x)?.length);
}
