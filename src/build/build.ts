/**
 * `npm run build`: compiles src/ and scenarios/ to dist/ (JavaScript and .d.ts, relative imports rewritten
 * from .ts to .js) and copies the files the compiled code reads at run time (the trace viewer's script and
 * style). dist/ is removed first, so a file deleted from src/ does not live on in the package.
 * The installed package runs dist/; a checkout runs the sources through tsx (bin/syncbench.js).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'dist');
/** Files outside TypeScript that compiled modules read, relative to the repository root. */
const ASSETS = ['src/report/viewer/client.js', 'src/report/viewer/style.css'];

const started = performance.now();
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
for (const f of ASSETS) cpSync(path.join(root, f), path.join(dist, f));
console.log(`build: dist/ written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
