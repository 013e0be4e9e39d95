/**
 * The canonical pass pipeline. Each pass is a pure Graph -> Graph function and
 * its output is verified.
 */
import type { Graph } from '../ir/graph.js';
import { verifyGraph } from '../ir/verify.js';
import { foldAffineForward } from './fold-affine-forward.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { fuseActivation } from './fuse-activation.js';
import { canonicalLayout } from './layout.js';
import { removeIdentity } from './remove-identity.js';

export { foldAffineForward, foldBatchNorm, fuseActivation, canonicalLayout, removeIdentity };

export const PASSES = [
  ['remove-identity', removeIdentity],
  ['canonical-layout', canonicalLayout],
  ['fold-batchnorm', foldBatchNorm],
  ['fold-affine-forward', foldAffineForward],
  ['fuse-activation', fuseActivation],
] as const satisfies readonly (readonly [string, (g: Graph) => Graph])[];

/** Runs every pass in order, verifying the graph after each. */
export function canonicalize(g: Graph): Graph {
  let out = g;
  for (const [, pass] of PASSES) {
    out = pass(out);
    verifyGraph(out);
  }
  return out;
}
