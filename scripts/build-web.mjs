// Builds the browser pages (dashboard, hosted viewer) into dist/web, run by `npm run build`
// (and so by `npm install`, through `prepare`).
//
// Every folder web/<page>/ with an index.html and a main.ts is one page. main.ts (and the CSS it
// imports) is bundled and minified by esbuild into dist/web/assets/ under content-hashed names, so
// the server can let browsers cache them for a year; the page's HTML goes to dist/web/<page>.html
// with its <!-- assets --> marker replaced by the tags that load them. The HTML itself is served
// uncached, so a new build is picked up at the next page load.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const webDir = join(root, 'web');
const outDir = join(root, 'dist', 'web');
const assetsDir = join(outDir, 'assets');

const pages = (existsSync(webDir) ? readdirSync(webDir, { withFileTypes: true }) : [])
  .filter((d) => d.isDirectory() && existsSync(join(webDir, d.name, 'index.html')))
  .map((d) => d.name)
  .sort();
for (const page of pages) {
  if (!existsSync(join(webDir, page, 'main.ts'))) throw new Error(`web/${page}/index.html has no main.ts beside it`);
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(assetsDir, { recursive: true });
if (pages.length === 0) {
  console.log('web: no pages under web/');
  process.exit(0);
}

const result = await build({
  entryPoints: Object.fromEntries(pages.map((p) => [p, join(webDir, p, 'main.ts')])),
  outdir: assetsDir,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  sourcemap: true,
  target: ['chrome110', 'firefox110', 'safari16'],
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const sizes = [];
for (const page of pages) {
  const entry = Object.entries(result.metafile.outputs).find(
    ([, out]) => out.entryPoint && relative(root, out.entryPoint) === join('web', page, 'main.ts'),
  );
  if (!entry) throw new Error(`esbuild produced no bundle for web/${page}/main.ts`);
  const [jsPath, out] = entry;
  const js = `/assets/${basename(jsPath)}`;
  const tags = [`<script type="module" src="${js}"></script>`];
  if (out.cssBundle) tags.unshift(`<link rel="stylesheet" href="/assets/${basename(out.cssBundle)}">`);
  const html = readFileSync(join(webDir, page, 'index.html'), 'utf8');
  if (!html.includes('<!-- assets -->')) throw new Error(`web/${page}/index.html lacks the <!-- assets --> marker`);
  writeFileSync(join(outDir, `${page}.html`), html.replace('<!-- assets -->', tags.join('\n    ')));
  sizes.push(`${page}: ${(out.bytes / 1024).toFixed(1)} kB js`);
}
// A gzipped copy beside every text file, so the server sends compressed pages without
// compressing anything when it starts.
for (const dir of [outDir, assetsDir]) {
  for (const name of readdirSync(dir)) {
    if (!/\.(html|js|css|map|txt)$/.test(name)) continue;
    const body = readFileSync(join(dir, name));
    const gzip = gzipSync(body, { level: 9 });
    if (gzip.length < body.length) writeFileSync(join(dir, `${name}.gz`), gzip);
  }
}
console.log(`web: built ${sizes.join(', ')}`);
