import { describe, expect, it } from 'vitest';
import { CLIENT_DEFAULTS } from '../../src/client/options.js';
import { codeSpans, readRepoFile, tablesWithColumn } from './doc-text.js';
import { interfaceOptions, tableDisagreements, tsdocDefault, tsdocDisagreements } from './option-docs.js';

// CLIENT_DEFAULTS is the one defaults object of the client: docs/api.md's options table and the
// TSDoc of each option in src/client/options.ts must say the same.

const options = interfaceOptions('src/client/options.ts', 'SyncClientOptions');
const defaults: Record<string, unknown> = CLIENT_DEFAULTS;

describe('SyncClientOptions, CLIENT_DEFAULTS and docs/api.md', () => {
  it('every CLIENT_DEFAULTS key is an option', () => {
    const names = new Set(options.map((o) => o.name));
    expect(Object.keys(defaults).filter((k) => !names.has(k)), 'CLIENT_DEFAULTS keys that are not SyncClientOptions members (src/client/options.ts)').toEqual([]);
  });

  it('an option whose TSDoc default is a plain value (number, boolean, quoted string) takes it from CLIENT_DEFAULTS', () => {
    const literal = /^(?:-?[\d.]+|true|false|'[^']*')$/;
    const outside = options.filter((o) => o.optional && !(o.name in defaults) && literal.test(tsdocDefault(o.tsdoc) ?? ''));
    expect(outside.map((o) => o.name), 'options with a literal default missing from CLIENT_DEFAULTS (src/client/options.ts)').toEqual([]);
  });

  it('every option has a row in docs/api.md with the default of CLIENT_DEFAULTS', () => {
    expect(tableDisagreements(options, defaults, 'docs/api.md')).toEqual([]);
  });

  it('every optional option states its default in its TSDoc, equal to CLIENT_DEFAULTS', () => {
    expect(tsdocDisagreements(options, defaults, 'src/client/options.ts')).toEqual([]);
  });

  it('the clientInfo default in docs/api.md lists every CLIENT_DEFAULTS.clientInfo field', () => {
    const row = tablesWithColumn(readRepoFile('docs/api.md'), 'option').flat().find((r) => codeSpans(r['option'] ?? '').includes('clientInfo'));
    const cell = row?.['default'] ?? '';
    const missing = Object.entries(CLIENT_DEFAULTS.clientInfo).filter(([k, v]) => !cell.includes(`${k}: ${typeof v === 'string' ? `'${v}'` : String(v)}`));
    expect(missing, 'docs/api.md clientInfo default differs from CLIENT_DEFAULTS.clientInfo').toEqual([]);
  });
});
