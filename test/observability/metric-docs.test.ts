import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_METRICS, prometheusName } from '../../src/observability/metric-catalog.js';

describe('metric names are documented', () => {
  const readme = readFileSync('README.md', 'utf8');
  const doc = readFileSync('docs/observability.md', 'utf8');
  it.each(Object.values(CLIENT_METRICS).map((d) => [prometheusName(d), d.name]))('%s (%s) is in the README table and docs/observability.md', (prom, otel) => {
    expect(readme).toContain(`\`${prom}\``);
    expect(doc).toContain(`| \`${prom}\` | \`${otel}\` |`);
  });
});
