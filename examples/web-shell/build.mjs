// Builds the web-shell example into one directory per build: index.html, the hashed app bundle,
// sw.js (pinned assets) and manifest.json v2 (build id, compatibility window, pinned asset set,
// cache name). esbuild is used rather than Vite: see README.md ("Why esbuild").
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');

/** The SDK's subpaths resolve to its TypeScript source, so the example always runs the working tree. */
const SDK_SUBPATHS = { '': 'src/index.ts', '/http': 'src/http.ts', '/indexeddb': 'src/indexeddb.ts', '/browser': 'src/browser.ts' };

const sdkFromSource = {
  name: 'khala-sync-from-source',
  setup(b) {
    b.onResolve({ filter: /^khala-sync(\/.*)?$/ }, (args) => {
      const sub = args.path.slice('khala-sync'.length);
      const file = SDK_SUBPATHS[sub];
      return file === undefined ? { errors: [{ text: `unknown khala-sync subpath "${args.path}"` }] } : { path: join(ROOT, file) };
    });
  },
};

/** `YYYYMMDDTHHMMSSZ` for `date` (UTC), the build-id format of KHALA_PROTOCOL §9. */
export function utcBuildId(date = new Date()) {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** Cache name of one build's service-worker cache. */
export const cacheName = (buildId) => `khala-web-shell::${buildId}`;

/**
 * Build one deployable copy of the web shell into `outDir` (emptied first).
 * @param {import('./build.d.mts').WebShellBuildOptions} options
 * @returns {Promise<import('./build.d.mts').WebShellBuild>}
 */
export async function buildWebShell(options) {
  const outDir = resolve(options.outDir);
  const buildId = options.buildId ?? utcBuildId();
  const rollbackBuildIds = (options.rollbackBuildIds ?? []).map((id) => id.trim()).filter((id) => id !== '');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, 'assets'), { recursive: true });

  const result = await build({
    entryPoints: { 'web-shell': join(HERE, 'app/main.ts') },
    entryNames: 'assets/[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: options.minify ?? true,
    outdir: outDir,
    metafile: true,
    logLevel: 'silent',
    define: { __WEB_SHELL_BUILD_ID__: JSON.stringify(buildId) },
    plugins: [sdkFromSource],
  });
  const js = Object.keys(result.metafile.outputs).find((p) => p.endsWith('.js'));
  const jsPath = `/${resolve(ROOT, js).slice(outDir.length + 1).split('\\').join('/')}`;

  const template = await readFile(join(HERE, 'app/index.html'), 'utf8');
  await writeFile(join(outDir, 'index.html'), template.replace('%APP_JS%', jsPath).replace('%BUILD_ID%', buildId));

  const pinnedAssets = ['/', '/index.html', jsPath];
  const manifest = {
    manifestVersion: 'khala-sync.webshell.v2',
    buildId,
    entry: { html: 'index.html', js: jsPath.slice(1) },
    compatibility: {
      protocolVersion: options.protocolVersion ?? 'khala.ws.v1',
      minClientBuildId: options.minClientBuildId ?? buildId,
      maxClientBuildId: options.maxClientBuildId ?? null,
      syncSchemaMin: options.syncSchemaMin ?? 1,
      syncSchemaMax: options.syncSchemaMax ?? 1,
      rollbackBuildIds,
    },
    serviceWorker: {
      script: 'sw.js',
      cacheName: cacheName(buildId),
      pinnedAssets,
      rollbackCaches: rollbackBuildIds.map(cacheName),
    },
  };
  await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const sw = (await readFile(join(HERE, 'app/sw.js'), 'utf8')).replace(
    /^const CONFIG = .*;$/m,
    () => `const CONFIG = ${JSON.stringify({ buildId, cacheName: manifest.serviceWorker.cacheName, pinnedAssets, keepCaches: [manifest.serviceWorker.cacheName, ...manifest.serviceWorker.rollbackCaches] })};`,
  );
  await writeFile(join(outDir, 'sw.js'), sw);
  return { outDir, buildId, manifest, metafile: result.metafile };
}

// `node examples/web-shell/build.mjs [outDir] [--build-id ID] [--min ID] [--max ID] [--rollback ID,ID]`
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const built = await buildWebShell({
    buildId: flag('--build-id'),
    minClientBuildId: flag('--min'),
    maxClientBuildId: flag('--max'),
    rollbackBuildIds: (flag('--rollback') ?? process.env.WEB_SHELL_ROLLBACK_BUILD_IDS ?? '').split(','),
    outDir: args[0] ?? join(HERE, 'dist'),
  });
  process.stdout.write(`built ${built.buildId} into ${built.outDir}\n`);
}
