/** The Pareto plot: the sweep's points as a scatter, the front as a thick line drawn over them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paretoFront } from '../../src/cli/commands/pareto.js';
import { paretoSvg } from '../../src/report/search-report.js';

test('paretoFront marks the points nothing beats, and the plot draws them as a thick line over the scatter', async () => {
  const raw = [
    { budget: 0.05, memoryBits: 1471e6, bops: 1, multCost: 1, value: 35.51, avgWeightBits: 7.1 },
    { budget: 0.1, memoryBits: 1444e6, bops: 1, multCost: 1, value: 35.63, avgWeightBits: 7.5 },
    { budget: 0.2, memoryBits: 1422e6, bops: 1, multCost: 1, value: 35.55, avgWeightBits: 7.5 },
    { budget: 0.4, memoryBits: 1455e6, bops: 1, multCost: 1, value: 35.31, avgWeightBits: 6.9 },
  ];
  const points = paretoFront(raw, (p) => p.memoryBits);
  assert.deepEqual(points.map((p) => p.onFront), [false, true, true, false]);
  const svg = await paretoSvg(points, 'psnr', 'front');
  assert.match(svg, /all budgets/);
  const lines = svg.match(/aria-roledescription="line mark"[^>]*/g) ?? [];
  assert.equal(lines.length, 1, 'one line: the front');
  assert.match(lines[0]!, /stroke-width="5"/);
  const marks = (svg.match(/aria-label="[^"]*series: all budgets"[^>]*aria-roledescription="point"/g) ?? []).length;
  assert.equal(marks, 4, 'every budget as a point');
});
