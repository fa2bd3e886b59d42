// Prints whether the official Cedar engine accepts a request and its entities under a schema (isAuthorized with
// validateRequest), for the request and entity validation tests.
// Usage: node cedar-request-oracle.mjs --modules DIR INPUT.json
// INPUT is an array of {"name", "schema": <Cedar schema text>, "principal", "action", "resource": {"type","id"},
// "context": {...}, "entities": [...]}. Output (stdout) is an array, in the same order, of {"name", "ok": true} or
// {"name", "ok": false, "error": "..."}. The policies are a single permit: only the request and entities are judged.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const modules = args[args.indexOf('--modules') + 1];
const input = args.find((a, i) => i !== args.indexOf('--modules') + 1 && a !== '--modules');
const require = createRequire(path.join(path.resolve(modules), 'package.json'));
const cedar = require('@cedar-policy/cedar-wasm/nodejs');

const message = (errors) => (errors ?? []).map((e) => (e.message ?? String(e)) + (e.help ? ` (${e.help})` : '')).join('; ');
const results = [];
for (const item of JSON.parse(readFileSync(input, 'utf8'))) {
  try {
    const answer = cedar.isAuthorized({
      principal: item.principal,
      action: item.action,
      resource: item.resource,
      context: item.context ?? {},
      schema: item.schema,
      validateRequest: true,
      policies: { staticPolicies: 'permit(principal, action, resource);' },
      entities: item.entities ?? [],
    });
    results.push(answer.type === 'success' ? { name: item.name, ok: true } : { name: item.name, ok: false, error: message(answer.errors) });
  } catch (e) {
    results.push({ name: item.name, ok: false, error: String(e) });
  }
}

process.stdout.write(JSON.stringify(results));
