/** `fxp search`/`pareto` options: --error-feedback reaches both strategies, with either weight scheme. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { searchOptionsFrom } from '../../src/cli/commands/search.js';

/** What commander fills in when the options are not given. */
const CLI_DEFAULTS = { granularity: 'layer', objective: 'memory' };

test('--error-feedback: passed to goyal and fxpqnet, with dynamic and range-adaptive weights', () => {
  const none = (): void => undefined;
  const o = searchOptionsFrom({ strategy: 'goyal', ...CLI_DEFAULTS, errorFeedback: true } as never, true, none);
  assert.equal(o.goyal?.errorFeedback, true);
  assert.equal(searchOptionsFrom({ strategy: 'goyal', ...CLI_DEFAULTS } as never, true, none).goyal?.errorFeedback, false);
  assert.equal(searchOptionsFrom({ strategy: 'fxpqnet', ...CLI_DEFAULTS, errorFeedback: true } as never, true, none).fxpqnet?.errorFeedback, true);
  const ra = searchOptionsFrom({ strategy: 'goyal', ...CLI_DEFAULTS, weightScheme: 'range-adaptive', errorFeedback: true } as never, true, none);
  assert.equal(ra.goyal?.errorFeedback, true);
  assert.equal(ra.weightScheme, 'range-adaptive');
});

test('--exact-passes reaches goyal; --distill unset leaves the strategy default', () => {
  const none = (): void => undefined;
  assert.equal(searchOptionsFrom({ strategy: 'goyal', ...CLI_DEFAULTS, exactPasses: true } as never, true, none).goyal?.exactPasses, true);
  assert.equal(searchOptionsFrom({ strategy: 'goyal', ...CLI_DEFAULTS } as never, true, none).goyal?.exactPasses, false);
  assert.equal(searchOptionsFrom({ strategy: 'goyal', ...CLI_DEFAULTS } as never, true, none).distill, undefined);
  assert.equal(searchOptionsFrom({ strategy: 'goyal', ...CLI_DEFAULTS, distill: true } as never, true, none).distill, true);
});
