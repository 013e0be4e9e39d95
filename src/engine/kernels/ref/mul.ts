/**
 * Mul, integer reference, numpy broadcasting. a in Q(fa), b in Q(fb), y in Q(fo):
 *   y = sat(roundShift(a * b, fa + fb - fo))
 * Bound: maxAbs(fa) * maxAbs(fb) (checked < 2^53 at prepare, 'int32' when < 2^31);
 * the product is an exact double.
 */
import { pow2 } from '../../../fixed/pow2.js';
import { roundShift } from '../../../fixed/shift.js';
import { broadcastMap } from '../../geometry.js';
import { accInfo, formatAt, inputAt, maxAbsOf, shapeAt, widerAcc, type RefKernel } from './kernel.js';
import { actSat, prepareActSat } from './output-stage.js';

export const mulRef: RefKernel<'Mul'> = (node, io) => {
  const fa = formatAt(node, io, 0);
  const fb = formatAt(node, io, 1);
  const s = fa.fl + fb.fl - io.outFormat.fl;
  const prod = maxAbsOf(fa) * maxAbsOf(fb);
  const accProd = accInfo(node, prod, 'product');
  const { st, bound } = prepareActSat(node, undefined, io.outFormat, s < 0 ? prod * pow2(-s) : prod);
  const acc = widerAcc(accProd, accInfo(node, bound, 'shifted product'));
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
            const p = a[ma === undefined ? i : ma[i]!]! * b[mb === undefined ? i : mb[i]!]!;
            out[i] = actSat(st, roundShift(p, s));
          }
        },
      };
    },
  };
};
