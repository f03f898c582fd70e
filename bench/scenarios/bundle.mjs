// Figure 5: browser bundle size of the main entry as users get it: esbuild bundle of
// dist/index.js for the browser (isomorphic-ws → native WebSocket), minified, gzip level 9 via
// node:zlib. Also: the top contributors (esbuild metafile, bytes in the minified output) and, for
// the note, the same bundle with zod left out (what the SDK's own code weighs).
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { makeRow } from '../lib/rows.mjs';

const FIG = '5 Browser bundle';
const ENTRY = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function bundle(external = []) {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    external,
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0].contents;
  return { min: bytes.length, gz: gzipSync(bytes, { level: 9 }).length, metafile: result.metafile };
}

/** Group metafile inputs: npm package (zod split by folder), else the dist/ folder of the SDK. */
function contributors(metafile) {
  const by = new Map();
  for (const out of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(out.inputs)) {
      const path = input.startsWith(ROOT) ? input.slice(ROOT.length) : input;
      const pkg = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/);
      let key;
      if (pkg) key = pkg[1] === 'zod' ? `zod/${pkg[2].split('/').slice(0, -1).join('/')}` : pkg[1];
      else key = `khala-sync ${path.replace(/^dist\//, 'src/').replace(/\/[^/]+$/, '/')}`;
      by.set(key, (by.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...by].sort((a, b) => b[1] - a[1]).map(([name, bytes]) => ({ name, minBytes: bytes }));
}

export async function run({ runs, log }) {
  const gz = [];
  let last;
  // esbuild is deterministic; the repeats only satisfy "every figure over >= 5 runs".
  for (let r = 0; r < runs; r++) {
    last = await bundle();
    gz.push(last.gz / 1024);
  }
  const noZod = await bundle(['zod', 'zod/*']);
  const top = contributors(last.metafile).slice(0, 12);
  log(`  min ${last.min} B, min+gz ${last.gz} B; without zod ${noZod.gz} B`);
  for (const c of top.slice(0, 8)) log(`    ${String(c.minBytes).padStart(6)} B  ${c.name}`);
  const rows = [
    makeRow({ id: 'bundle.gz', figure: FIG, label: 'main entry, esbuild browser, min+gz', unit: 'KB', khala: gz, target: { kind: 'abs', op: '<=', value: 20 }, note: `1 KB = 1024 B; without zod: ${(noZod.gz / 1024).toFixed(1)} KB` }),
  ];
  return { rows, extra: { minBytes: last.min, gzBytes: last.gz, gzBytesWithoutZod: noZod.gz, topContributors: top } };
}
