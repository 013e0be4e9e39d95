/**
 * The one error type fxpnet throws for bad input. It names, where known, the file,
 * the graph node and the op, so a user can find the problem without a stack trace.
 */
export interface ErrorContext {
  file?: string | undefined;
  node?: string | undefined;
  op?: string | undefined;
}

export class FxpError extends Error {
  /** The message without the file/node/op suffix. */
  readonly detail: string;
  readonly file: string | undefined;
  readonly node: string | undefined;
  readonly op: string | undefined;

  constructor(message: string, context: ErrorContext = {}) {
    super(formatMessage(message, context));
    this.name = 'FxpError';
    this.detail = message;
    this.file = context.file;
    this.node = context.node;
    this.op = context.op;
  }
}

function formatMessage(message: string, { file, node, op }: ErrorContext): string {
  const where: string[] = [];
  if (file !== undefined) where.push(`file '${file}'`);
  if (node !== undefined) where.push(`node '${node}'`);
  if (op !== undefined) where.push(`op '${op}'`);
  return where.length === 0 ? message : `${message} (${where.join(', ')})`;
}

/**
 * The same error with more context: fields already set on `err` win, missing ones
 * come from `context` (e.g. an importer adding its file name to a verifier error).
 */
export function withContext(err: FxpError, context: ErrorContext): FxpError {
  return new FxpError(err.detail, { file: err.file ?? context.file, node: err.node ?? context.node, op: err.op ?? context.op });
}

/** Re-throws `err` as an FxpError with the given context unless it already is one. */
export function wrapError(err: unknown, message: string, context: ErrorContext = {}): FxpError {
  if (err instanceof FxpError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new FxpError(`${message}: ${detail}`, context);
}

/** Largest tensor fxpnet will allocate, in elements (2^28 floats = 1 GiB). */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;
