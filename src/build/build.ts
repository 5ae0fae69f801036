/**
 * `npm run build`: compiles src/ and scenarios/ to dist/ (JavaScript and .d.ts, relative imports rewritten
 * from .ts to .js) and copies the files the compiled code reads at run time (the trace viewer's script and
 * style), and writes the catalogue of the compiled scenarios (src/scenario/catalogue.ts). dist/ is removed first, so a file deleted from src/ does not live on in the package.
 * The installed package runs dist/; a checkout runs the sources through tsx (bin/syncbench.js).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'dist');
/** Files outside TypeScript that compiled modules read, relative to the repository root. */
const ASSETS = ['src/report/viewer/client.js', 'src/report/viewer/style.css'];

const started = performance.now();
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
for (const f of ASSETS) cpSync(path.join(root, f), path.join(dist, f));
// The catalogue `syncbench list` reads instead of importing every compiled scenario (src/scenario/catalogue.ts).
const catalogue = pathToFileURL(path.join(dist, 'src/scenario/catalogue.js')).href;
const code = `const m = await import(${JSON.stringify(catalogue)}); console.log('build: ' + (await m.writeCatalogue(${JSON.stringify(path.join(dist, 'scenarios'))})) + ' scenarios in dist/scenarios/catalogue.json');`;
execFileSync(process.execPath, ['--input-type=module', '-e', code], { stdio: 'inherit' });
console.log(`build: dist/ written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
