/**
 * `npm run build`: the browser bundle that `seqdoodle export --format web` copies, written to
 * `../seqdoodle/web/dist/` (shipped inside the Python package, so a wheel needs no npm):
 *
 *   index.html                          the drawing page (page/index.html)
 *   sw.js                               its service worker (page/sw.js): COOP/COEP for threads
 *   js/page.js, js/recognizer.js        page/page.js and src/recognizer.js, bundled (ES modules)
 *   js/worker.js                        src/worker.js with onnxruntime-web's wasm-only build
 *   js/ort-wasm-simd-threaded.wasm      onnxruntime-web's plain WebAssembly binary
 *   NOTICE.md                           the licences of what is bundled
 *   BUILD.json                          versions, the sha256 of every source and of every file
 *
 * Reproducible: exact versions in package.json and package-lock.json, esbuild with fixed
 * options and no timestamps or absolute paths in the output; the same sources give the same
 * bytes. `BUILD.json["sources_sha256"]` digests the sources, so a check without node (the Python
 * tests) sees a bundle that was not rebuilt; `node build.mjs --check` rebuilds into a temporary
 * folder and compares every file.
 */

import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = join(HERE, '..', 'seqdoodle', 'web', 'dist');
const ORT = join(HERE, 'node_modules', 'onnxruntime-web');
const WASM = 'ort-wasm-simd-threaded.wasm';
// what the bundle is made from: BUILD.json's sources_sha256 digests these (relative to web/)
export const SOURCES = ['build.mjs', 'package.json', 'package-lock.json', 'page', 'src'];

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

function filesUnder(root, rel) {
  const path = join(root, rel);
  if (!statSync(path).isDirectory()) return [rel];
  return readdirSync(path).sort().flatMap((name) => filesUnder(root, `${rel}/${name}`));
}

/** sha256 over `path NUL sha256(file) LF` of every file, sorted by path (as tests/test_export_web.py). */
export function digest(root, rels) {
  const lines = rels.flatMap((r) => filesUnder(root, r)).sort()
    .map((rel) => `${rel}\0${sha256(readFileSync(join(root, rel)))}\n`);
  return sha256(lines.join(''));
}

async function make(out) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'js'), { recursive: true });
  await build({
    absWorkingDir: HERE,
    entryPoints: { 'js/page': 'page/page.js', 'js/recognizer': 'src/recognizer.js', 'js/worker': 'src/worker.js' },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    legalComments: 'eof',
    charset: 'utf8',
    sourcemap: false,
    logLevel: 'warning',
  });
  copyFileSync(join(HERE, 'page', 'index.html'), join(out, 'index.html'));
  copyFileSync(join(HERE, 'page', 'sw.js'), join(out, 'sw.js'));
  copyFileSync(join(ORT, 'dist', WASM), join(out, 'js', WASM));
  const ort = JSON.parse(readFileSync(join(ORT, 'package.json'), 'utf8'));
  const esbuild = JSON.parse(readFileSync(join(HERE, 'node_modules', 'esbuild', 'package.json'), 'utf8'));
  writeFileSync(join(out, 'NOTICE.md'), [
    '# Licences of the bundled code\n',
    `- seqdoodle's web code (js/): Apache-2.0; its port of libcairo 1.16.0 (web/src/cairo.js): MPL-1.1, and MIT for the scan converter.`,
    `- onnxruntime-web ${ort.version} (js/worker.js, js/${WASM}): ${ort.license}, Copyright (c) Microsoft Corporation.`,
    '',
  ].join('\n'));
  const files = filesUnder(out, '.').map((p) => p.slice(2)).filter((p) => p !== 'BUILD.json').sort();
  const info = {
    what: 'seqdoodle web bundle, made by `npm run build` in web/ (web/build.mjs)',
    onnxruntime_web: ort.version,
    esbuild: esbuild.version,
    wasm: `js/${WASM}`,
    sources: SOURCES,
    sources_sha256: digest(HERE, SOURCES),
    files: Object.fromEntries(files.map((f) => [f, sha256(readFileSync(join(out, f)))])),
  };
  writeFileSync(join(out, 'BUILD.json'), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

async function main() {
  if (process.argv.includes('--check')) {
    const tmp = mkdtempSync(join(tmpdir(), 'seqdoodle-web-'));
    try {
      const fresh = await make(join(tmp, 'dist'));
      const shipped = JSON.parse(readFileSync(join(DIST, 'BUILD.json'), 'utf8'));
      const differ = [...new Set([...Object.keys(fresh.files), ...Object.keys(shipped.files)])]
        .filter((f) => fresh.files[f] !== shipped.files[f]
          || !statSync(join(DIST, f), { throwIfNoEntry: false })
          || sha256(readFileSync(join(DIST, f))) !== fresh.files[f]);
      if (differ.length || fresh.sources_sha256 !== shipped.sources_sha256) {
        console.error(`seqdoodle/web/dist differs from a fresh build (${differ.join(', ') || 'sources'}); run npm run build in web/`);
        process.exit(1);
      }
      console.log(`seqdoodle/web/dist matches a fresh build (${Object.keys(fresh.files).length} files)`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return;
  }
  const info = await make(DIST);
  const bytes = Object.keys(info.files).reduce((a, f) => a + statSync(join(DIST, f)).size, 0);
  console.log(`wrote ${relative(process.cwd(), DIST) || DIST}: ${Object.keys(info.files).length + 1} files, ${(bytes / 1e6).toFixed(2)} MB`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
