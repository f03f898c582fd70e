// Browser bundles of the SDK for test/browser: an esbuild plugin that refuses anything Node-only,
// and the min+gz size measurement quoted in docs/browser.md.
import { builtinModules } from 'node:module';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile, type Plugin } from 'esbuild';

/** Repository root (this file is test/browser/bundle.ts). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The browser entry points of package.json `exports` (`.`, `./indexeddb`, `./http`, `./hash`); the main entry first. */
export const BROWSER_ENTRIES = ['src/index.ts', 'src/indexeddb.ts', 'src/http.ts', 'src/hash.ts'] as const;

const NODE_BUILTINS = new Set(builtinModules);
/** Packages that only work in Node, or that only the server, tests and tools use (jose: server auth). */
const NODE_ONLY_PACKAGES = new Set(['ws', 'better-sqlite3', 'fake-indexeddb', 'jose', 'esbuild', 'playwright-core', 'vitest']);
/** Source that is Node-only by design: the reference server, the CLI, the SQLite store. */
const NODE_ONLY_SOURCE = [/^src\/server\//, /^src\/cli\//, /^src\/sqlite\.ts$/, /^src\/watermarks\/sqlite/];

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function isNodeOnlySource(absolute: string): boolean {
  const rel = relative(ROOT, absolute).split('\\').join('/');
  return NODE_ONLY_SOURCE.some((re) => re.test(rel));
}

/**
 * Fails the build at the first import of a Node built-in (`node:*`, `fs`, `crypto`, …), a server-
 * or test-only package (`ws`, `better-sqlite3`, …) or Node-only SDK source, naming the importer.
 * Everything else falls through to esbuild's own resolution, which honours `browser` fields
 * (isomorphic-ws → the native WebSocket).
 */
export const refuseNodeOnly: Plugin = {
  name: 'refuse-node-only',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const spec = args.path;
      const from = args.importer ? relative(ROOT, args.importer) : '(entry)';
      if (spec.startsWith('node:') || NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0] ?? '')) {
        return { errors: [{ text: `browser bundle reaches the Node built-in "${spec}" (imported by ${from})` }] };
      }
      const relativeSpec = spec.startsWith('.') || spec.startsWith('/');
      if (!relativeSpec && NODE_ONLY_PACKAGES.has(packageName(spec))) {
        return { errors: [{ text: `browser bundle reaches the server/test-only package "${spec}" (imported by ${from})` }] };
      }
      if (relativeSpec && isNodeOnlySource(resolve(args.resolveDir, spec))) {
        return { errors: [{ text: `browser bundle reaches Node-only source "${spec}" (imported by ${from})` }] };
      }
      return undefined;
    });
  },
};

/** Second line of defence: bundled inputs that come from a refused package or Node-only source. */
export function nodeOnlyInputs(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs).filter((input) => {
    const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
    if (inPackage !== undefined) return NODE_ONLY_PACKAGES.has(inPackage);
    return isNodeOnlySource(resolve(ROOT, input));
  });
}

/** Size of one minified browser bundle. */
export interface BundleSize {
  entry: string;
  minBytes: number;
  gzipBytes: number;
  metafile: Metafile;
}

/**
 * Bundle `contents` (an ES module importing SDK entries, resolved from the repo root) minified for
 * the browser and gzip it at the default level, as a CDN would serve it.
 */
export async function measure(entry: string, contents: string): Promise<BundleSize> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, sourcefile: `${entry}.ts`, loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [refuseNodeOnly],
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { entry, minBytes: code.byteLength, gzipBytes: gzipSync(code).byteLength, metafile: result.metafile };
}

/** The three sizes docs/browser.md quotes: main entry, IndexedDB entry, both together. */
export async function measureBrowserEntries(): Promise<BundleSize[]> {
  return Promise.all([
    measure('khala-sync', `export * from './src/index.ts';`),
    measure('khala-sync/indexeddb', `export * from './src/indexeddb.ts';`),
    measure('both', `export * from './src/index.ts';\nexport * from './src/indexeddb.ts';`),
    measure('khala-sync/http', `export * from './src/http.ts';`),
    measure('khala-sync/hash', `export * from './src/hash.ts';`),
  ]);
}

/** Bundle the test page (unminified, with the same guard) into `outdir/page.js`. */
export async function buildPage(outdir: string): Promise<Metafile> {
  const result = await build({
    entryPoints: { page: resolve(ROOT, 'test/browser/page-entry.ts') },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    outdir,
    metafile: true,
    logLevel: 'silent',
    plugins: [refuseNodeOnly],
  });
  return result.metafile;
}
