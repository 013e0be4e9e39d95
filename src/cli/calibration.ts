/** The calibration-data options shared by `quantize`, `sweep` and `search`. */
import { existsSync, statSync } from 'node:fs';
import { Command } from 'commander';
import { FxpError } from '../errors.js';
import { imageCropDataset } from '../data/crops.js';
import { mnistDataset, type Dataset } from '../data/dataset.js';
import { listImages } from '../data/images.js';
import { colorModeFor, type LoadedModel } from './model.js';
import { isIdxDir } from './commands/eval.js';

export interface CalibOptions {
  calib?: string[];
  calibSplit: string;
  calibLimit: string;
  calibCrop?: string;
}

export function addCalibrationOptions(cmd: Command): Command {
  return cmd
    .option('--calib <paths...>', 'calibration data: an IDX folder (uses --calib-split), or image files/folders')
    .option('--calib-split <split>', 'IDX split used for calibration (keep it disjoint from the test data)', 'train')
    .option('--calib-limit <n>', 'number of calibration inputs from an IDX folder', '2000')
    .option('--calib-crop <n>', 'cut calibration images into n x n tiles');
}

export async function calibrationDataset(model: LoadedModel, opts: CalibOptions): Promise<Dataset> {
  const paths = opts.calib ?? [];
  if (paths.length === 0) throw new FxpError('calibration data is required: give --calib DIR (IDX folder) or --calib IMAGES...');
  for (const p of paths) if (!existsSync(p)) throw new FxpError('no such calibration path', { file: p });
  const first = paths[0]!;
  if (paths.length === 1 && isIdxDir(first)) {
    if (opts.calibSplit !== 'train' && opts.calibSplit !== 'test') throw new FxpError(`--calib-split must be 'train' or 'test', got '${opts.calibSplit}'`);
    const limit = Number(opts.calibLimit);
    if (!Number.isInteger(limit) || limit < 1) throw new FxpError(`--calib-limit must be a positive integer, got '${opts.calibLimit}'`);
    return mnistDataset(first, opts.calibSplit, { layout: model.layout, limit });
  }
  const files = paths.flatMap((p) => (statSync(p).isDirectory() ? listImages(p) : [p]));
  const size = opts.calibCrop === undefined ? undefined : Number(opts.calibCrop);
  return imageCropDataset(files, { layout: model.layout, color: colorModeFor(model.channels), size });
}
