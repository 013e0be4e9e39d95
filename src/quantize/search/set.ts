/**
 * The search set: the inputs candidates are scored on, with labels or target
 * images where the metric needs them, loaded once into chunks of equal size
 * (the last may be smaller; image sets split where the image size changes).
 * It must be disjoint from the data results are reported on (docs/search.md).
 */
import { FxpError } from '../../errors.js';
import type { Dataset } from '../../data/dataset.js';
import type { ChunkInput } from './runner.js';

export interface SearchSet {
  readonly name: string;
  readonly count: number;
  readonly chunks: readonly ChunkInput[];
}

export async function loadSearchSet(data: Dataset, chunkSize = 25): Promise<SearchSet> {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new FxpError(`chunk size must be a positive integer, got ${chunkSize}`);
  const chunks: ChunkInput[] = [];
  let count = 0;
  for await (const b of data.batches(chunkSize)) {
    chunks.push({ id: chunks.length, input: b.input, labels: b.labels, targets: b.targets });
    count += b.input.shape[0] ?? 0;
  }
  if (count === 0) throw new FxpError(`search set '${data.name}' is empty`);
  return { name: data.name, count, chunks };
}
