// Prints the official Cedar engine's verdict on schemas, for the schema interop tests.
// Usage: node cedar-schema.mjs --modules DIR INPUT.json
// INPUT is an array of {"name", "format": "cedar"|"json", "text"}. Output (stdout) is an array, in the same order, of
// {"name", "ok": true, "json": <the engine's JSON schema>} or {"name", "ok": false, "error": "..."}.
// For a JSON schema, "json" is the input itself once the engine accepts it.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const modules = args[args.indexOf('--modules') + 1];
const input = args.find((a, i) => i !== args.indexOf('--modules') + 1 && a !== '--modules');
const require = createRequire(path.join(path.resolve(modules), 'package.json'));
const cedar = require('@cedar-policy/cedar-wasm/nodejs');

const message = (errors) => (errors ?? []).map((e) => e.message + (e.help ? ` (${e.help})` : '')).join('; ');
const results = [];
for (const item of JSON.parse(readFileSync(input, 'utf8'))) {
  try {
    if (item.format === 'json') {
      const schema = JSON.parse(item.text);
      const answer = cedar.checkParseSchema(schema);
      results.push(answer.type === 'success' ? { name: item.name, ok: true, json: schema } : { name: item.name, ok: false, error: message(answer.errors) });
    } else {
      const answer = cedar.schemaToJson(item.text);
      results.push(answer.type === 'success' ? { name: item.name, ok: true, json: answer.json } : { name: item.name, ok: false, error: message(answer.errors) });
    }
  } catch (e) {
    results.push({ name: item.name, ok: false, error: String(e) });
  }
}

process.stdout.write(JSON.stringify(results));
