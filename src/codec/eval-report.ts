/** The HTML page and plain-text tables of `fxp codec eval`. */
import { htmlPage, htmlTable, lineChartSvg, type Series } from '../report/plot.js';
import { BASELINE_LABELS } from './baselines.js';
import type { BdEntry, CurveName, EvalResult } from './eval.js';

export const CURVE_LABELS: { readonly [K in CurveName]: string } = {
  fixed: 'fxpnet fixed-point',
  float: 'float model',
  ...BASELINE_LABELS,
};

export function pct(v: number | null | undefined): string {
  return v === undefined || v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)}%`;
}

/** Rows: codec, setting, bpp, PSNR, MS-SSIM, MS-SSIM dB, encode s, decode s. */
export function curveRows(r: EvalResult): string[][] {
  const out: string[][] = [];
  for (const [name, pts] of Object.entries(r.curves) as [CurveName, EvalResult['curves'][CurveName]][]) {
    for (const p of pts ?? []) {
      out.push([
        CURVE_LABELS[name],
        String(p.setting),
        p.bpp.toFixed(4),
        p.psnr.toFixed(3),
        p.msssim.toFixed(5),
        p.msssimDb.toFixed(3),
        p.encodeSeconds === undefined ? '' : p.encodeSeconds.toFixed(2),
        p.decodeSeconds === undefined ? '' : p.decodeSeconds.toFixed(2),
      ]);
    }
  }
  return out;
}

export const CURVE_HEADER = ['codec', 'setting', 'bpp', 'PSNR dB', 'MS-SSIM', 'MS-SSIM dB', 'encode s', 'decode s'];
export const BD_HEADER = ['test', 'anchor', 'BD-rate (PSNR)', 'BD-rate (MS-SSIM)'];

export function bdRows(bd: readonly BdEntry[]): string[][] {
  return bd.map((e) => [CURVE_LABELS[e.test], CURVE_LABELS[e.anchor], pct(e.psnr), pct(e.msssim)]);
}

export const DELTA_HEADER = ['quality', 'fixed bpp', 'float bpp', 'rate change', 'fixed PSNR', 'float PSNR', 'PSNR change dB', 'MS-SSIM change'];

/** Fixed against float at each quality both have: the per-point view of the conversion loss. */
export function deltaRows(r: EvalResult): string[][] {
  const fl = r.curves.float ?? [];
  return (r.curves.fixed ?? []).flatMap((p) => {
    const f = fl.find((q) => q.setting === p.setting);
    if (f === undefined) return [];
    return [[String(p.setting), p.bpp.toFixed(4), f.bpp.toFixed(4), pct(p.bpp / f.bpp - 1), p.psnr.toFixed(3), f.psnr.toFixed(3), (p.psnr - f.psnr).toFixed(3), (p.msssim - f.msssim).toFixed(5)]];
  });
}

async function chart(r: EvalResult, y: 'psnr' | 'msssimDb', title: string): Promise<string> {
  const series: Series[] = (Object.entries(r.curves) as [CurveName, EvalResult['curves'][CurveName]][]).map(([name, pts]) => ({
    name: CURVE_LABELS[name],
    points: (pts ?? []).map((p) => [p.bpp, p[y]] as const),
  }));
  return lineChartSvg({ title, x: 'bits per pixel', y: y === 'psnr' ? 'PSNR (dB, RGB)' : 'MS-SSIM (dB)', series });
}

export async function evalReportHtml(r: EvalResult, dataName: string): Promise<string> {
  const perImage = r.rows.filter((x) => x.codec === 'fixed' || x.codec === 'float').map((x) => [x.image, CURVE_LABELS[x.codec], String(x.setting), x.bpp.toFixed(4), x.psnr.toFixed(3), x.msssim.toFixed(5)]);
  return htmlPage(
    `Fixed-point learned image codec: rate-distortion on ${dataName}`,
    [
      { heading: 'PSNR', html: await chart(r, 'psnr', `RGB PSNR on ${dataName} (${r.images.length} images)`) },
      { heading: 'MS-SSIM', html: await chart(r, 'msssimDb', `MS-SSIM on ${dataName}`) },
      { heading: 'BD-rate', html: htmlTable(BD_HEADER, bdRows(r.bd)) },
      { heading: 'Fixed-point against float, per quality', html: htmlTable(DELTA_HEADER, deltaRows(r)) },
      { heading: 'Mean per setting', html: htmlTable(CURVE_HEADER, curveRows(r)) },
      { heading: 'Per image (learned codecs)', html: htmlTable(['image', 'codec', 'quality', 'bpp', 'PSNR dB', 'MS-SSIM'], perImage) },
    ],
    'Rates are real file sizes (FXPC bitstream with header; JPEG/WebP files from sharp). Fixed-point figures come from the integer engine.',
  );
}
