/**
 * C99 export of fixed-point graphs: `generateC` (pure: graph in, source texts out)
 * and `writeCSources` (Node file system). See docs/c-export.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { wrapError } from '../../errors.js';
import type { CSourceFile } from './generate.js';

export { generateC, resolveInputShapes, type CExportOptions, type CExportResult, type CNodeReport, type CSourceFile } from './generate.js';
export { fnv1a64, int32LeBytes, outputHash } from './hash.js';

/** Writes the generated files into `dir` (created if missing); returns their paths. */
export async function writeCSources(dir: string, files: readonly CSourceFile[]): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
    const paths: string[] = [];
    for (const f of files) {
      const path = join(dir, f.name);
      await writeFile(path, f.text);
      paths.push(path);
    }
    return paths;
  } catch (err) {
    throw wrapError(err, 'cannot write C sources', { file: dir });
  }
}
