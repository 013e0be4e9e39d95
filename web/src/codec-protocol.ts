/**
 * Messages between the codec decode page (web/codec.html) and its worker.
 * Requests carry an id; every request gets exactly one reply with the same id
 * ('error' included).
 */

/** A loaded `.fxpcm` codec model (one quality level). */
export interface CodecModelInfo {
  /** The file name it was loaded from. */
  readonly file: string;
  readonly modelId: string;
  readonly quality: number;
  /** The model hash bitstreams name (FNV-1a 64 of the file). */
  readonly hash: string;
  readonly bytes: number;
}

export interface DecodeResult {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  readonly quality: number;
  readonly modelId: string;
  readonly modelHash: string;
  /** Size of the `.fxpc` file. */
  readonly bytes: number;
  /** 8 * bytes / (width * height): the whole file, as `fxp codec eval` counts it. */
  readonly bpp: number;
  /** Interleaved RGB, row-major, width * height * 3 bytes. */
  readonly rgb: Uint8Array;
  /** FNV-1a 64 of `rgb` (src/engine/hash.ts fnv1a64), as the Node decoder and the C decoder print it. */
  readonly hash: string;
  /** decodeImage alone (entropy decoding and the integer networks), in ms. */
  readonly ms: number;
  /** Which kernels the integer engine ran. */
  readonly kernels: string;
}

export type CodecRequest =
  | { readonly type: 'load'; readonly id: number; readonly file: string; readonly bytes: ArrayBuffer }
  | { readonly type: 'decode'; readonly id: number; readonly file: string; readonly bytes: ArrayBuffer };

export type CodecReply =
  | { readonly type: 'loaded'; readonly id: number; readonly info: CodecModelInfo }
  | { readonly type: 'decoded'; readonly id: number; readonly result: DecodeResult }
  | { readonly type: 'error'; readonly id: number; readonly message: string };
