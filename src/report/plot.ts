/**
 * Charts rendered to standalone SVG with Vega-Lite (no browser, no network), for
 * sweep plots, Pareto fronts and per-layer bit-width bars in HTML reports.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** Drawn thicker (e.g. a Pareto front over the points it is picked from, which it would otherwise hide under). */
  readonly emphasis?: boolean;
  /** Points without a line (e.g. every budget of a sweep, whose order by cost means nothing). */
  readonly scatter?: boolean;
}

export interface LineChart {
  readonly title: string;
  readonly x: string;
  readonly y: string;
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
  /** Draw points only (scatter), e.g. for Pareto candidates. */
  readonly pointsOnly?: boolean;
}

async function render(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export async function lineChartSvg(c: LineChart): Promise<string> {
  const values = c.series.flatMap((s) => s.points.map(([x, y]) => ({ series: s.name, x, y, emphasis: s.emphasis === true, scatter: s.scatter === true })));
  const line = c.pointsOnly === true ? ({ type: 'point', filled: true } as const) : ({ type: 'line', point: true } as const);
  const encoding = {
    x: { field: 'x', type: 'quantitative', title: c.x, scale: { zero: false } },
    y: { field: 'y', type: 'quantitative', title: c.y, scale: { zero: false } },
    color: { field: 'series', type: 'nominal', title: null },
    strokeWidth: { condition: { test: 'datum.emphasis', value: 5 }, value: 2 },
    opacity: { condition: { test: 'datum.emphasis', value: 0.8 }, value: 1 },
  } as const;
  const head = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title: c.title, width: c.width ?? 480, height: c.height ?? 300, background: 'white', data: { values } } as const;
  if (!c.series.some((s) => s.scatter === true)) return render({ ...head, mark: line, encoding });
  return render({
    ...head,
    encoding,
    layer: [
      { transform: [{ filter: 'datum.scatter' }], mark: { type: 'point', filled: true, size: 60 } },
      { transform: [{ filter: '!datum.scatter' }], mark: line },
    ],
  });
}

export interface BarChart {
  readonly title: string;
  readonly categories: readonly string[];
  /** One value per category per group (e.g. W, B, A bit widths per layer). */
  readonly groups: readonly { readonly name: string; readonly values: readonly number[] }[];
  readonly y: string;
}

export async function groupedBarSvg(c: BarChart): Promise<string> {
  const values = c.groups.flatMap((g) => g.values.map((v, i) => ({ group: g.name, category: c.categories[i]!, order: i, v })));
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: c.title,
    background: 'white',
    width: { step: 8 },
    height: 260,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'category', type: 'nominal', sort: { field: 'order' }, title: null, axis: { labelAngle: -60 } },
      xOffset: { field: 'group' },
      y: { field: 'v', type: 'quantitative', title: c.y },
      color: { field: 'group', type: 'nominal', title: null },
    },
  });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

export interface HtmlSection {
  readonly heading: string;
  /** Trusted markup (SVG from this module, or tables from htmlTable). */
  readonly html: string;
}

export function htmlTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

/** A self-contained HTML page (inline CSS and SVG, no scripts, no network). */
export function htmlPage(title: string, sections: readonly HtmlSection[], footer = ''): string {
  const body = sections.map((s) => `<section><h2>${escapeHtml(s.heading)}</h2>\n${s.html}\n</section>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;font-size:13px;margin:0.5em 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
section{margin-bottom:2em}footer{color:#777;font-size:12px}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
${body}
<footer>${escapeHtml(footer)}</footer>
</body></html>
`;
}
