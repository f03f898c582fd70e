import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
const entry = process.argv[2] ?? `export * from './src/index.ts';`;
const r = await build({ stdin: { contents: entry, resolveDir: process.cwd(), loader: 'ts' }, bundle: true, minify: true, platform: 'browser', format: 'esm', target: 'es2022', write: false, metafile: true, logLevel: 'silent' });
const out = r.outputFiles[0].contents;
console.log('total min', out.length, 'gz', gzipSync(out).length);
const o = Object.values(r.metafile.outputs)[0];
const rows = Object.entries(o.inputs).map(([k, v]) => [v.bytesInOutput, k]).sort((a, b) => b[0] - a[0]);
const dirs = {};
for (const [b, k] of rows) { const d = k.split('/').slice(0, 2).join('/'); dirs[d] = (dirs[d] ?? 0) + b; }
console.log(Object.entries(dirs).sort((a,b)=>b[1]-a[1]).map(([d,b])=>`${b}\t${d}`).join('\n'));
console.log(rows.slice(0, 45).map(([b, k]) => `${b}\t${k}`).join('\n'));
