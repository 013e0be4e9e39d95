/**
 * Add fast path (plain TS int32 loops), bit-exact with ../ref/add.ts for operands
 * of the same shape whose whole computation the reference proves int32 (aligned
 * sum, shifted sum, LeakyRelu product all < 2^31):
 *   v = (a << (F - fa)) + (b << (F - fb));  y = sat(act(roundShift(v, F - fo)))
 * roundShift on int32 as in src/fixed/shift.ts: (v >> s) + ((v >> (s-1)) & 1).
 * Broadcasting, a wide bound or a shift beyond 31 runs the reference kernel.
 */
import { addRef } from '../ref/add.js';
import { formatAt, inputAt, type RefKernel } from '../ref/kernel.js';
import { actSat, prepareActSat } from '../ref/output-stage.js';

export const addFast: RefKernel<'Add'> = (node, io) => {
  const ref = addRef(node, io);
  if (ref.acc?.width !== 'int32') return ref;
  const fa = formatAt(node, io, 0);
  const fb = formatAt(node, io, 1);
  const f = Math.max(fa.fl, fb.fl);
  const sa = f - fa.fl;
  const sb = f - fb.fl;
  const s = f - io.outFormat.fl;
  // The bound argument only sizes intermediates; the reference already checked them.
  const { st } = prepareActSat(node, node.attrs.activation, io.outFormat, 0);
  const { lo, hi, leaky } = st;
  return {
    acc: ref.acc,
    bind: (inShapes, outShape) => {
      const bound = ref.bind(inShapes, outShape);
      const same = inShapes.every((sh) => sh.length === outShape.length && sh.every((d, i) => d === outShape[i]));
      if (!same || sa > 30 || sb > 30 || s < -30 || s > 31) return bound;
      return {
        acc: bound.acc,
        run: (inputs, out) => {
          const a = inputAt(node, inputs, 0);
          const b = inputAt(node, inputs, 1);
          for (let i = 0; i < out.length; i++) {
            const v = (a[i]! << sa) + (b[i]! << sb);
            let y = s > 0 ? (v >> s) + ((v >> (s - 1)) & 1) : v << -s;
            if (leaky) y = actSat(st, y);
            out[i] = y < lo ? lo : y > hi ? hi : y;
          }
        },
      };
    },
  };
};
