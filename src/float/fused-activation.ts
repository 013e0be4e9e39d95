/**
 * Fused activations applied in place over a freshly computed output range.
 * Same semantics as `applyActivation` in ir/ops.ts (which is the definition);
 * written as one loop per kind so the hot loop has no dispatch.
 */
import type { FusedActivation } from '../ir/ops.js';

export function activateInPlace(act: FusedActivation | undefined, d: Float32Array, from = 0, to = d.length): void {
  if (act === undefined) return;
  switch (act.kind) {
    case 'Relu':
      for (let i = from; i < to; i++) if (!(d[i]! > 0)) d[i] = 0;
      return;
    case 'Clip': {
      const { min, max } = act;
      for (let i = from; i < to; i++) {
        const v = d[i]!;
        d[i] = v < min ? min : v > max ? max : v;
      }
      return;
    }
    case 'LeakyRelu': {
      const { alpha } = act;
      for (let i = from; i < to; i++) {
        const v = d[i]!;
        if (!(v >= 0)) d[i] = v * alpha;
      }
      return;
    }
  }
}
