// Subpath entries that promise to run in a browser: `khala-sync/spacetime`, and `khala-sync/testing`
// whose `browser` export condition must lead to a build without the Node-only fault proxy.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measure, nodeOnlyInputs, ROOT } from './bundle.js';

interface Exports {
  exports: Record<string, Record<string, string>>;
}

describe('khala-sync/testing browser build', () => {
  it('the browser condition maps to the browser entry, and the Node build keeps the fault proxy', () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as Exports;
    const testing = pkg.exports['./testing']!;
    expect(testing.browser).toBe('./dist/testing-browser.js');
    expect(testing.default).toBe('./dist/testing.js');
    // Conditions are matched in object order: `browser` must come before `default`.
    expect(Object.keys(testing).indexOf('browser')).toBeLessThan(Object.keys(testing).indexOf('default'));
  });

  it('bundles for the browser without a Node built-in and exposes the memory network', async () => {
    const size = await measure('khala-sync/testing', `export * from './src/testing-browser.ts';`);
    expect(nodeOnlyInputs(size.metafile)).toEqual([]);
    expect(Object.keys(size.metafile.inputs)).toContain('src/transport/memory-transport.ts');
  });

  it('the Node entry would not bundle for the browser (so the condition is needed)', async () => {
    await expect(measure('probe', `export * from './src/testing.ts';`)).rejects.toThrow(/Node built-in/);
  });
});

describe('khala-sync/spacetime browser build', () => {
  it('bundles for the browser without a Node built-in, server code or ws', async () => {
    const size = await measure('khala-sync/spacetime', `export * from './src/spacetime.ts';`);
    expect(nodeOnlyInputs(size.metafile)).toEqual([]);
    expect(Object.keys(size.metafile.inputs)).toContain('src/adapters/spacetime/spacetime-session.ts');
    console.log(`[browser bundle] khala-sync/spacetime: ${size.minBytes} B min, ${size.gzipBytes} B min+gz`);
  });
});

describe('khala-sync/http build', () => {
  it('bundles for the browser without a Node built-in, and the main entry carries none of its fetch code', async () => {
    const size = await measure('khala-sync/http', `export * from './src/http.ts';`);
    expect(nodeOnlyInputs(size.metafile)).toEqual([]);
    expect(Object.keys(size.metafile.inputs)).toEqual(expect.arrayContaining(['src/http/token-endpoint.ts', 'src/bootstrap/http-snapshot-source.ts', 'src/transport/credential-fetch.ts']));
    const main = await measure('khala-sync', `export * from './src/index.ts';`);
    const http = ['src/http/', 'src/bootstrap/http-', 'src/transport/credential-fetch.ts', 'src/transport/read-body.ts', 'src/transport/retry-after.ts', 'src/transport/request-deadline.ts'];
    expect(Object.keys(main.metafile.inputs).filter((p) => http.some((h) => p.startsWith(h)))).toEqual([]);
  });
});

describe('khala-sync/browser build', () => {
  it('bundles for the browser without a Node built-in, and an app that does not import it does not carry it', async () => {
    const size = await measure('khala-sync/browser', `export * from './src/browser.ts';`);
    expect(nodeOnlyInputs(size.metafile)).toEqual([]);
    expect(Object.keys(size.metafile.inputs)).toContain('src/browser/browser-sync.ts');
    console.log(`[browser bundle] khala-sync/browser: ${size.minBytes} B min, ${size.gzipBytes} B min+gz`);
    const app = await measure('app', `import { SyncClient } from './src/index.ts';\nimport { createIndexedDbStore } from './src/indexeddb.ts';\nconsole.log(SyncClient, createIndexedDbStore);`);
    expect(Object.keys(app.metafile.inputs).filter((p) => p.startsWith('src/browser'))).toEqual([]);
  });

  it('an app that imports only the skew check carries neither the client nor the election', async () => {
    const app = await measure('skew-only', `import { evaluateSkew } from './src/browser.ts';\nconsole.log(evaluateSkew);`);
    const inputs = Object.keys(app.metafile.outputs[Object.keys(app.metafile.outputs)[0]!]!.inputs);
    expect(inputs).toContain('src/browser/build-skew.ts');
    expect(inputs.filter((p) => p.startsWith('src/client/') || p.includes('election'))).toEqual([]);
  });
});

describe('khala-sync/react build', () => {
  it('bundles for the browser without a Node built-in, and the main entry carries no React', async () => {
    const size = await measure('khala-sync/react', `export * from './src/react.ts';`);
    expect(nodeOnlyInputs(size.metafile)).toEqual([]);
    expect(Object.keys(size.metafile.inputs)).toContain('src/react/use-sync-status.ts');
    const main = await measure('khala-sync', `export * from './src/index.ts';`);
    expect(Object.keys(main.metafile.inputs).filter((p) => p.includes('node_modules/react') || p.startsWith('src/react'))).toEqual([]);
  });
});
