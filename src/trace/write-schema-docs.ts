/**
 * `npm run schema:docs`: writes docs/trace-schema.json and the table of kinds in docs/trace-schema.md from
 * the schema's source (src/trace/schema/*.ts). Run it after changing a kind; the tests fail until then.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaJsonText, withKindsTable } from './schema-docs.ts';

const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs');
const md = path.join(docs, 'trace-schema.md');
writeFileSync(path.join(docs, 'trace-schema.json'), schemaJsonText());
writeFileSync(md, withKindsTable(readFileSync(md, 'utf8')));
console.log(`wrote ${path.relative(process.cwd(), path.join(docs, 'trace-schema.json'))} and the kinds table of ${path.relative(process.cwd(), md)}`);
