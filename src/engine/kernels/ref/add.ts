/**
 * Add, integer reference, numpy broadcasting. a in Q(fa), b in Q(fb), y in Q(fo).
 * Operands are aligned to F = max(fa, fb) by left shifts (exact), added, then
 *   y = sat(act(roundShift(a*2^(F-fa) + b*2^(F-fb), F - fo)))
 * Bound: maxAbs(fa)*2^(F-fa) + maxAbs(fb)*2^(F-fb) (checked < 2^53 at prepare;
 * 'int32' when < 2^31). The sum is computed as an exact double either way.
 */
import { pow2 } from '../../../fixed/pow2.js';
import { roundShift } from '../../../fixed/shift.js';
import { broadcastMap } from '../../geometry.js';
import { accInfo, formatAt, inputAt, maxAbsOf, shapeAt, widerAcc, type RefKernel } from './kernel.js';
import { actSat, prepareActSat } from './output-stage.js';

export const addRef: RefKernel<'Add'> = (node, io) => {
  const fa = formatAt(node, io, 0);
  const fb = formatAt(node, io, 1);
  const f = Math.max(fa.fl, fb.fl);
  const pa = pow2(f - fa.fl);
  const pb = pow2(f - fb.fl);
  const s = f - io.outFormat.fl;
  const sum = maxAbsOf(fa) * pa + maxAbsOf(fb) * pb;
  const accSum = accInfo(node, sum, 'aligned sum');
  const { st, bound } = prepareActSat(node, node.attrs.activation, io.outFormat, s < 0 ? sum * pow2(-s) : sum);
  const acc = widerAcc(accSum, accInfo(node, bound, 'shifted sum'));
  return {
    acc,
    bind: (inShapes, outShape) => {
      const ma = broadcastMap(shapeAt(node, inShapes, 0), outShape);
      const mb = broadcastMap(shapeAt(node, inShapes, 1), outShape);
      return {
        acc,
        run: (inputs, out) => {
          const a = inputAt(node, inputs, 0);
          const b = inputAt(node, inputs, 1);
          for (let i = 0; i < out.length; i++) {
            const va = a[ma === undefined ? i : ma[i]!]! * pa;
            const vb = b[mb === undefined ? i : mb[i]!]! * pb;
            out[i] = actSat(st, roundShift(va + vb, s));
          }
        },
      };
    },
  };
};
