/**
 * The C runtime: the shared snippets (types and scalar helpers) plus the kernel
 * variants a model uses, emitted with their dependencies first, each once.
 */
import { FxpError } from '../../errors.js';
import { ELEMENTWISE_TYPES_SNIPPET, EXP_SNIPPET } from './kernels-elementwise.js';
import { LINEAR_TYPES_SNIPPET } from './kernels-linear.js';
import { POOL_TYPES_SNIPPET } from './kernels-pool.js';
import { CORE_SNIPPETS, type CKernel, type CSnippet } from './runtime-core.js';

export { C_MAX_RANK, C_TILE } from './runtime-core.js';

/** Snippets kernels depend on by name. */
export const C_SHARED_SNIPPETS: Readonly<Record<string, CSnippet>> = {
  ...CORE_SNIPPETS,
  fx_linear_types: LINEAR_TYPES_SNIPPET,
  fx_elementwise_types: ELEMENTWISE_TYPES_SNIPPET,
  fx_pool_types: POOL_TYPES_SNIPPET,
  fx_exp: EXP_SNIPPET,
};

/** Collects the kernels a model calls, by name (the same name always means the same text). */
export class KernelSet {
  private readonly kernels = new Map<string, CSnippet>();

  add(k: CKernel): string {
    this.kernels.set(k.name, k.snippet);
    return k.name;
  }

  /** The runtime text: every used kernel and shared snippet, dependencies first. */
  text(extra: readonly string[] = []): string {
    const done = new Set<string>();
    const out: string[] = [];
    const visit = (name: string, path: readonly string[]): void => {
      if (done.has(name)) return;
      if (path.includes(name)) throw new FxpError(`internal: C runtime snippets depend on each other in a cycle: ${[...path, name].join(' -> ')}`);
      const s = this.kernels.get(name) ?? C_SHARED_SNIPPETS[name];
      if (s === undefined) throw new FxpError(`internal: no C runtime snippet '${name}'`);
      for (const d of s.deps) visit(d, [...path, name]);
      done.add(name);
      out.push(s.text);
    };
    for (const n of [...extra, ...[...this.kernels.keys()].sort()]) visit(n, []);
    return out.join('\n');
  }
}
