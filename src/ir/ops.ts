/**
 * The closed op vocabulary of the float graph IR.
 *
 * Layout contract: every 4-D activation tensor is NCHW. Importers of channels-last
 * models (Keras, TF.js) insert explicit Transposes; the layout pass removes the
 * ones that are no-ops. Weights are stored in ONNX layout:
 *   Conv          W [M, C/group, kH, kW], B [M]
 *   ConvTranspose W [C, M/group, kH, kW], B [M]
 *   Dense         W [M, K] (out, in), B [M]   y = x W^T + B
 */

export type FusedActivation =
  | { readonly kind: 'Relu' }
  | { readonly kind: 'Clip'; readonly min: number; readonly max: number }
  | { readonly kind: 'LeakyRelu'; readonly alpha: number };

/** ONNX auto_pad. SAME_UPPER puts the odd padding at the end (TF/Keras 'same'). */
export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export type Pair = readonly [number, number];
/** top, left, bottom, right */
export type Pads4 = readonly [number, number, number, number];

export interface ConvAttrs {
  readonly kernel: Pair;
  readonly strides: Pair;
  readonly dilations: Pair;
  /** Explicit pads, used when autoPad is NOTSET. */
  readonly pads: Pads4;
  readonly autoPad: AutoPad;
  readonly group: number;
  readonly activation?: FusedActivation | undefined;
}

export interface ConvTransposeAttrs {
  readonly kernel: Pair;
  readonly strides: Pair;
  readonly dilations: Pair;
  readonly pads: Pads4;
  readonly autoPad: AutoPad;
  readonly outputPadding: Pair;
  readonly group: number;
  readonly activation?: FusedActivation | undefined;
}

export interface PoolAttrs {
  readonly kernel: Pair;
  readonly strides: Pair;
  readonly dilations: Pair;
  readonly pads: Pads4;
  readonly autoPad: AutoPad;
  readonly ceilMode: boolean;
}

export interface AveragePoolAttrs extends PoolAttrs {
  /** Whether padded cells count in the divisor (ONNX count_include_pad; Keras: false). */
  readonly countIncludePad: boolean;
}

export type ResizeCoordinateMode =
  | 'asymmetric'
  | 'half_pixel'
  | 'pytorch_half_pixel'
  | 'align_corners'
  | 'tf_half_pixel_for_nn';
export type ResizeNearestMode = 'floor' | 'ceil' | 'round_prefer_floor' | 'round_prefer_ceil';

export interface ResizeAttrs {
  /** One scale per dim (N, C, H, W); used when `sizes` is absent. */
  readonly scales: readonly number[];
  /** Fixed output sizes per dim, if the model gives them instead of scales. */
  readonly sizes?: readonly number[] | undefined;
  readonly coordinateMode: ResizeCoordinateMode;
  readonly nearestMode: ResizeNearestMode;
}

type Empty = Readonly<Record<never, never>>;

/** Attributes of every op, by op name. Adding an op here forces every table to handle it. */
export interface OpAttrMap {
  /** inputs: x, W, B? */
  Conv: ConvAttrs;
  /** inputs: x, W, B? */
  ConvTranspose: ConvTransposeAttrs;
  /** inputs: x [N, K] (or [N, ..., K]), W [M, K], B? [M] */
  Dense: { readonly activation?: FusedActivation | undefined };
  /** inputs: x, scale, bias, mean, var (each [C]) */
  BatchNormalization: { readonly epsilon: number };
  /** y = x * scale[c] + bias[c] over dim 1. inputs: x, scale [C], bias [C] */
  ChannelAffine: { readonly activation?: FusedActivation | undefined };
  Relu: Empty;
  /** min/max may be -Infinity/Infinity. Relu6 is Clip(0, 6). */
  Clip: { readonly min: number; readonly max: number };
  LeakyRelu: { readonly alpha: number };
  Sigmoid: Empty;
  Tanh: Empty;
  /** axis is non-negative after import. */
  Softmax: { readonly axis: number };
  MaxPool: PoolAttrs;
  AveragePool: AveragePoolAttrs;
  GlobalMaxPool: Empty;
  GlobalAveragePool: Empty;
  /** Numpy broadcasting. inputs: a, b */
  Add: { readonly activation?: FusedActivation | undefined };
  /** Numpy broadcasting. inputs: a, b */
  Mul: Empty;
  /** axis is non-negative after import. */
  Concat: { readonly axis: number };
  /** ONNX Flatten: [d0..d(axis-1)] x [d(axis)..]. */
  Flatten: { readonly axis: number };
  /** ONNX Reshape (allowzero = 0): 0 copies the input dim, -1 is inferred. */
  Reshape: { readonly shape: readonly number[] };
  Transpose: { readonly perm: readonly number[] };
  /**
   * ONNX Pad order: begins of every dim, then ends of every dim. With
   * `channelValues` (mode 'constant', rank >= 2, no padding of dim 1), a padded
   * cell of channel c (dim 1) holds channelValues[c] instead of `value`; its length
   * is the input's channel count.
   */
  Pad: {
    readonly pads: readonly number[];
    readonly mode: 'constant' | 'reflect' | 'edge';
    readonly value: number;
    readonly channelValues?: readonly number[] | undefined;
  };
  DepthToSpace: { readonly blocksize: number; readonly mode: 'DCR' | 'CRD' };
  /** Nearest-neighbour resize only. */
  Resize: ResizeAttrs;
  Identity: Empty;
}

export type OpType = keyof OpAttrMap;

export interface NodeOf<K extends OpType> {
  readonly op: K;
  readonly name: string;
  readonly attrs: OpAttrMap[K];
  /** Value ids. */
  readonly inputs: readonly number[];
  /** Value ids; every op has exactly one output. */
  readonly outputs: readonly number[];
}

export type Node = { [K in OpType]: NodeOf<K> }[OpType];

/** Number of inputs each op takes: [min, max]. */
export const OP_ARITY = {
  Conv: [2, 3],
  ConvTranspose: [2, 3],
  Dense: [2, 3],
  BatchNormalization: [5, 5],
  ChannelAffine: [3, 3],
  Relu: [1, 1],
  Clip: [1, 1],
  LeakyRelu: [1, 1],
  Sigmoid: [1, 1],
  Tanh: [1, 1],
  Softmax: [1, 1],
  MaxPool: [1, 1],
  AveragePool: [1, 1],
  GlobalMaxPool: [1, 1],
  GlobalAveragePool: [1, 1],
  Add: [2, 2],
  Mul: [2, 2],
  Concat: [1, Infinity],
  Flatten: [1, 1],
  Reshape: [1, 1],
  Transpose: [1, 1],
  Pad: [1, 1],
  DepthToSpace: [1, 1],
  Resize: [1, 1],
  Identity: [1, 1],
} as const satisfies { [K in OpType]: readonly [number, number] };

/** Inputs (by position) that must be constants: the parameters of the op. */
export const OP_PARAM_INPUTS = {
  Conv: [1, 2],
  ConvTranspose: [1, 2],
  Dense: [1, 2],
  BatchNormalization: [1, 2, 3, 4],
  ChannelAffine: [1, 2],
  Relu: [],
  Clip: [],
  LeakyRelu: [],
  Sigmoid: [],
  Tanh: [],
  Softmax: [],
  MaxPool: [],
  AveragePool: [],
  GlobalMaxPool: [],
  GlobalAveragePool: [],
  Add: [],
  Mul: [],
  Concat: [],
  Flatten: [],
  Reshape: [],
  Transpose: [],
  Pad: [],
  DepthToSpace: [],
  Resize: [],
  Identity: [],
} as const satisfies { [K in OpType]: readonly number[] };

export const OP_TYPES = Object.keys(OP_ARITY) as OpType[];

export function isOpType(s: string): s is OpType {
  return Object.prototype.hasOwnProperty.call(OP_ARITY, s);
}

/** Narrowing helper: `if (isOp(node, 'Conv')) node.attrs.kernel`. */
export function isOp<K extends OpType>(node: Node, op: K): node is Extract<Node, { op: K }> {
  return node.op === op;
}

export function applyActivation(act: FusedActivation | undefined, v: number): number {
  if (act === undefined) return v;
  switch (act.kind) {
    case 'Relu':
      return v > 0 ? v : 0;
    case 'Clip':
      return v < act.min ? act.min : v > act.max ? act.max : v;
    case 'LeakyRelu':
      return v >= 0 ? v : v * act.alpha;
  }
}
