/**
 * What a layer converter works with: the graph being built, the model's weights,
 * the layer's config and the error scope (file, layer, class).
 *
 * Tensor layout invariant: a Keras tensor of rank 4 ([N, H, W, C]) is held in the
 * IR as NCHW; tensors of any other rank keep Keras's order. `KTensor.shape` is
 * always the Keras (channels-last) shape, batch first, null where unknown.
 */
import { MAX_TENSOR_ELEMENTS } from '../../errors.js';
import type { GraphBuilder } from '../../ir/graph.js';
import type { OpAttrMap, OpType } from '../../ir/ops.js';
import { LayerConfig, layerError, type JsonObject, type LayerScope } from './json.js';
import type { KerasWeights } from './weights.js';

export type KShape = readonly (number | null)[];

export interface KTensor {
  /** IR value id. */
  readonly id: number;
  readonly shape: KShape;
}

export function fmtShape(s: readonly (number | null)[]): string {
  return `[${s.map((d) => (d === null ? 'None' : String(d))).join(', ')}]`;
}

/** Element count of a shape, ignoring unknown dims. */
export function knownSize(s: readonly (number | null)[]): number {
  let n = 1;
  for (const d of s) if (d !== null) n *= d;
  return n;
}

export class LayerContext {
  readonly cfg: LayerConfig;

  constructor(
    readonly builder: GraphBuilder,
    readonly weights: KerasWeights,
    readonly scope: LayerScope,
    config: JsonObject,
  ) {
    this.cfg = new LayerConfig(scope, config);
  }

  get name(): string {
    return this.scope.layer;
  }

  fail(message: string): never {
    throw layerError(this.scope, message);
  }

  /** Adds a node named after the layer (`<layer>/<suffix>` for helper nodes); returns its output value. */
  node<K extends OpType>(op: K, attrs: OpAttrMap[K], inputs: readonly number[], suffix?: string): number {
    const name = suffix === undefined ? this.scope.layer : `${this.scope.layer}/${suffix}`;
    return this.builder.addNode(op, name, attrs, inputs);
  }

  constant(suffix: string, shape: readonly number[], data: Float32Array): number {
    return this.builder.addConstant(`${this.scope.layer}/${suffix}`, shape, data);
  }

  hasWeight(name: string): boolean {
    return this.weights.get(this.scope.layer)?.has(name) ?? false;
  }

  /**
   * The layer's weight called `name` (or the first present of several aliases),
   * checked to have exactly `shape`. The shape is checked against the allocation
   * limit before anything is looked up, so an absurd config fails here.
   */
  weight(name: string | readonly string[], shape: readonly number[]): Float32Array {
    const names = typeof name === 'string' ? [name] : name;
    const label = names[0]!;
    if (shape.some((d) => !Number.isInteger(d) || d < 1)) this.fail(`weight '${label}' would have invalid shape ${fmtShape(shape)}`);
    if (knownSize(shape) > MAX_TENSOR_ELEMENTS) {
      this.fail(`weight '${label}' of shape ${fmtShape(shape)} has ${knownSize(shape)} elements, over the limit of ${MAX_TENSOR_ELEMENTS}`);
    }
    const layerWeights = this.weights.get(this.scope.layer);
    const found = names.map((n) => layerWeights?.get(n)).find((t) => t !== undefined);
    if (found === undefined) {
      const have = layerWeights === undefined ? 'none' : [...layerWeights.keys()].join(', ') || 'none';
      this.fail(`missing weight '${label}' (the layer has: ${have})`);
    }
    if (found.shape.length !== shape.length || found.shape.some((d, i) => d !== shape[i])) {
      this.fail(`weight '${label}' has shape ${fmtShape(found.shape)}, expected ${fmtShape(shape)}`);
    }
    return found.data;
  }

  /** Wraps an IR value with its Keras shape, checking the shape is sane and within the allocation limit. */
  tensor(id: number, shape: KShape): KTensor {
    if (shape.some((d) => d !== null && (!Number.isInteger(d) || d < 1))) this.fail(`output shape ${fmtShape(shape)} is empty or invalid`);
    const n = knownSize(shape);
    if (n > MAX_TENSOR_ELEMENTS) this.fail(`output shape ${fmtShape(shape)} has ${n} elements per sample, over the limit of ${MAX_TENSOR_ELEMENTS}`);
    return { id, shape };
  }

  /** The single input of a one-input layer, of one of the allowed ranks. */
  one(inputs: readonly KTensor[], ranks?: readonly number[]): KTensor {
    if (inputs.length !== 1) this.fail(`takes one input, got ${inputs.length}`);
    const x = inputs[0]!;
    if (ranks !== undefined && !ranks.includes(x.shape.length)) {
      this.fail(`input of shape ${fmtShape(x.shape)} must have rank ${ranks.join(' or ')}`);
    }
    return x;
  }
}
