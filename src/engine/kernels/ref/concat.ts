/**
 * Concat, integer reference. Input i in Q(fi) is converted to the output format
 * Q(fo) by y = sat(roundShift(q, fi - fo)) (output-stage.ts Requant) and copied to
 * its slot along `axis`. Bound: maxAbs(fi) * 2^max(0, fo - fi) per input, < 2^53.
 */
import { sizeOf } from '../../../tensor.js';
import { nodeError, widerAcc, type RefKernel } from './kernel.js';
import { prepareRequant, requant } from './output-stage.js';

export const concatRef: RefKernel<'Concat'> = (node, io) => {
  const rq = io.inFormats.map((f) => prepareRequant(node, f, io.outFormat));
  const first = rq[0];
  if (first === undefined) throw nodeError(node, 'Concat needs at least one input');
  const acc = rq.reduce((a, r) => widerAcc(a, r.acc), first.acc);
  const { axis } = node.attrs;
  return {
    acc,
    bind: (inShapes, outShape) => {
      const outer = sizeOf(outShape.slice(0, axis));
      const outChunk = sizeOf(outShape.slice(axis));
      const chunks = inShapes.map((s) => sizeOf(s.slice(axis)));
      return {
        acc,
        run: (inputs, out) => {
          let offset = 0;
          inputs.forEach((x, k) => {
            const r = rq[k]!;
            const chunk = chunks[k]!;
            for (let o = 0; o < outer; o++) {
              const src = o * chunk;
              const dst = o * outChunk + offset;
              for (let i = 0; i < chunk; i++) out[dst + i] = requant(r, x[src + i]!);
            }
            offset += chunk;
          });
        },
      };
    },
  };
};
