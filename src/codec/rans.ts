/**
 * Range-ANS coder after ryg_rans, with a 32-bit state held exactly in JS numbers.
 *
 * Parameters: probability precision PRECISION = 16 (a table's frequencies sum to
 * M = 2^16), state x in [RANS_L, 2^32) with RANS_L = 2^16, renormalization by one
 * 16-bit word at a time.
 *
 * Stream layout (all little-endian): the final encoder state as a u32, then the
 * renormalization words as u16, in the order the decoder reads them. An empty
 * message is the 4 bytes 00 00 01 00 (x = RANS_L). The length is always even.
 *
 * Encoding one symbol with start c and frequency 1 <= f <= M:
 *   if x >= f * 2^16: emit x mod 2^16, x = floor(x / 2^16)       (at most once)
 *   x = floor(x / f) * M + (x mod f) + c
 * Decoding:
 *   slot = x mod M; find s with cdf[s] <= slot < cdf[s+1]
 *   x = f * floor(x / M) + slot - c
 *   if x < RANS_L: x = x * 2^16 + next word                         (at most once)
 *
 * Why one renormalization step suffices and nothing overflows: before encoding,
 * x < 2^32 <= 2^16 * 2^16, so one shift brings x below 2^16 <= f * 2^16; after it
 * x >= f, so floor(x / f) >= 1 and the new x >= M = RANS_L; and x < f * 2^16 gives
 * floor(x / f) < 2^16, so the new x < 2^32. Decoding inverts this: x >= 2^16 gives
 * a new x >= f * 1 >= 1, and one word brings any x in [1, 2^16) to [2^16, 2^32).
 * All intermediate values are integers of at most 2^32, exact in doubles; floor(x / f)
 * is exact because x / f is at least 1/f >= 2^-16 away from the next integer,
 * more than a double's spacing (<= 2^-21) below 2^32. Only `>>> 16` and
 * `& 0xffff` are used as bit operations, both exact on [0, 2^32).
 *
 * Bypass (raw) bits are coded as rANS symbols with a uniform distribution: n <= 16
 * bits as the symbol v with f = 2^(16-n), c = v * f, which costs exactly n bits.
 * Values of 17..32 bits go as two such symbols, the low 16 bits first.
 *
 * The encoder must code in reverse so that the decoder reads forward; RansEncoder
 * records (c, f) pairs and runs the coder backwards in finish(), so callers put
 * symbols in decoding order.
 */
import { FxpError, type ErrorContext } from '../errors.js';

export const PRECISION = 16;
/** M: the sum of a table's frequencies. */
export const PROB_SCALE = 2 ** PRECISION;
/** Lower bound of the normalized state, and the state of an empty stream. */
export const RANS_L = 2 ** 16;
const WORD = 2 ** 16;

/** A cumulative frequency table: cdf[0] = 0, strictly increasing, cdf[n] = 2^16. */
export type Cdf = Uint32Array | Int32Array;

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new FxpError(`bypass width must be an integer in 0..32, got ${bits}`);
}

export class RansEncoder {
  /** Recorded symbols, one u32 each: c * 2^16 + (f - 1), with c < 2^16 and f <= 2^16. */
  private ops = new Uint32Array(1024);
  private count = 0;

  /** Number of rANS symbols recorded (a bypass value of more than 16 bits counts twice). */
  get length(): number {
    return this.count;
  }

  /** Records `symbol` coded with `cdf` (its frequency must be at least 1). */
  put(cdf: Cdf, symbol: number): void {
    if (!Number.isInteger(symbol) || symbol < 0 || symbol >= cdf.length - 1) {
      throw new FxpError(`symbol ${symbol} outside the table's ${Math.max(0, cdf.length - 1)} symbols`);
    }
    const c = cdf[symbol]!;
    const next = cdf[symbol + 1]!;
    if (c < 0 || next <= c || next > PROB_SCALE) throw new FxpError(`symbol ${symbol} has an invalid cdf interval [${c}, ${next})`);
    this.record(c, next - c);
  }

  /** Records the low `bits` bits of `value` (0 <= value < 2^bits) as raw bits. */
  putBypass(value: number, bits: number): void {
    checkBits(bits);
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) throw new FxpError(`bypass value ${value} does not fit in ${bits} bits`);
    if (bits > 16) {
      this.putUniform(value % WORD, 16);
      this.putUniform(Math.floor(value / WORD), bits - 16);
    } else if (bits > 0) {
      this.putUniform(value, bits);
    }
  }

  /** Codes everything recorded and returns the stream; the encoder is empty afterwards. */
  finish(): Uint8Array {
    // Each symbol emits at most one word; the words are written back to front
    // (the decoder's order), then the state in front of them.
    const out = new Uint8Array(4 + 2 * this.count);
    let pos = out.length;
    let x = RANS_L;
    for (let i = this.count - 1; i >= 0; i--) {
      const op = this.ops[i]!;
      const c = op >>> 16;
      const f = (op & 0xffff) + 1;
      if (x >= f * WORD) {
        pos -= 2;
        out[pos] = x & 0xff;
        out[pos + 1] = (x >>> 8) & 0xff;
        x = x >>> 16;
      }
      x = Math.floor(x / f) * PROB_SCALE + (x % f) + c;
    }
    pos -= 4;
    out[pos] = x & 0xff;
    out[pos + 1] = (x >>> 8) & 0xff;
    out[pos + 2] = (x >>> 16) & 0xff;
    out[pos + 3] = x >>> 24;
    this.count = 0;
    return out.slice(pos);
  }

  private putUniform(value: number, bits: number): void {
    const f = 2 ** (PRECISION - bits);
    this.record(value * f, f);
  }

  private record(c: number, f: number): void {
    if (this.count === this.ops.length) {
      const grown = new Uint32Array(this.ops.length * 2);
      grown.set(this.ops);
      this.ops = grown;
    }
    this.ops[this.count++] = c * WORD + (f - 1);
  }
}

export class RansDecoder {
  private readonly bytes: Uint8Array;
  private readonly end: number;
  private readonly context: ErrorContext;
  private pos: number;
  private x: number;

  /** Decodes the stream bytes[start, end); reads the initial state at once. */
  constructor(bytes: Uint8Array, start = 0, end = bytes.length, context: ErrorContext = {}) {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > bytes.length) {
      throw new FxpError(`rANS stream range [${start}, ${end}) outside a buffer of ${bytes.length} bytes`, context);
    }
    this.bytes = bytes;
    this.end = end;
    this.context = context;
    this.pos = start;
    if (end - start < 4) throw new FxpError(`truncated bitstream: rANS stream of ${end - start} bytes is shorter than its 4-byte state`, context);
    this.x = this.word() + this.word() * WORD;
    if (this.x < RANS_L) throw new FxpError(`corrupt bitstream: initial rANS state ${this.x} is below 2^16`, context);
  }

  /**
   * Decodes one symbol of `cdf`, which must be valid (validateCdf): cdf[0] = 0,
   * strictly increasing, last entry 2^16. Binary search, at most 17 steps.
   */
  get(cdf: Cdf): number {
    const slot = this.x & 0xffff;
    let lo = 0;
    let hi = cdf.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! <= slot) lo = mid;
      else hi = mid;
    }
    const c = cdf[lo]!;
    this.advance(slot, c, cdf[lo + 1]! - c);
    return lo;
  }

  /** Decodes `bits` raw bits (0..32) put by RansEncoder.putBypass. */
  getBypass(bits: number): number {
    checkBits(bits);
    if (bits > 16) {
      const low = this.getUniform(16);
      return this.getUniform(bits - 16) * WORD + low;
    }
    return bits > 0 ? this.getUniform(bits) : 0;
  }

  /** Checks that the stream ended exactly: all bytes read and the state back at RANS_L. */
  finish(): void {
    if (this.pos !== this.end) throw new FxpError(`corrupt bitstream: ${this.end - this.pos} bytes left after the last rANS symbol`, this.context);
    if (this.x !== RANS_L) throw new FxpError(`corrupt bitstream: final rANS state ${this.x} is not the initial state ${RANS_L}`, this.context);
  }

  private getUniform(bits: number): number {
    const shift = PRECISION - bits;
    const slot = this.x & 0xffff;
    const value = slot >>> shift;
    this.advance(slot, value * 2 ** shift, 2 ** shift);
    return value;
  }

  private advance(slot: number, c: number, f: number): void {
    let x = f * (this.x >>> 16) + slot - c;
    if (x < RANS_L) x = x * WORD + this.word();
    this.x = x;
  }

  private word(): number {
    const p = this.pos;
    if (p + 2 > this.end) throw new FxpError(`truncated bitstream: rANS stream ends inside or before a word at byte ${p}`, this.context);
    this.pos = p + 2;
    return this.bytes[p]! | (this.bytes[p + 1]! << 8);
  }
}
