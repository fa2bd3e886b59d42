// Formats and translates Cedar policies with the official engine (@cedar-policy/cedar-wasm), for the interop tests.
// Usage: node cedar-policy-tool.mjs --modules DIR < requests.json > answers.json
// requests.json is an array of {"op": "format" | "toJson" | "setToJson" | "toText" | "check", "text"?: string, "json"?: object};
// each answer is {"ok": true, "result": ...} or {"ok": false, "errors": [message, ...]}, in the same order.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const args = process.argv.slice(2);
const modulesIndex = args.indexOf('--modules');
if (modulesIndex < 0 || modulesIndex + 1 >= args.length) {
  process.stderr.write('usage: node cedar-policy-tool.mjs --modules DIR < requests.json\n');
  process.exit(2);
}

const require = createRequire(path.join(path.resolve(args[modulesIndex + 1]), 'x.js'));
const cedar = require('@cedar-policy/cedar-wasm/nodejs');

const errors = (answer) => (answer.errors ?? []).map((e) => e.message ?? String(e));

function run(request) {
  switch (request.op) {
    case 'format': {
      const a = cedar.formatPolicies({ policyText: request.text, lineWidth: 80, indentWidth: 2 });
      return a.type === 'success' ? { ok: true, result: a.formatted_policy } : { ok: false, errors: errors(a) };
    }
    case 'toJson': {
      // A template has slots; policyToJson refuses them, templateToJson takes both.
      let a = cedar.policyToJson(request.text);
      if (a.type !== 'success') {
        a = cedar.templateToJson(request.text);
      }
      return a.type === 'success' ? { ok: true, result: a.json } : { ok: false, errors: errors(a) };
    }
    case 'toText': {
      let a = cedar.policyToText(request.json);
      if (a.type !== 'success') {
        a = cedar.templateToText(request.json);
      }
      return a.type === 'success' ? { ok: true, result: a.text } : { ok: false, errors: errors(a) };
    }
    case 'setToJson': {
      // Every policy and template of a policy set, each in the JSON policy format, in text order.
      const parts = cedar.policySetTextToParts(request.text);
      if (parts.type !== 'success') {
        return { ok: false, errors: errors(parts) };
      }
      const convert = (texts, fn) => texts.map((t) => {
        const a = fn(t);
        if (a.type !== 'success') {
          throw new Error(errors(a).join('; '));
        }
        return a.json;
      });
      return {
        ok: true,
        result: { policies: convert(parts.policies, cedar.policyToJson), templates: convert(parts.policy_templates, cedar.templateToJson) },
      };
    }
    case 'check': {
      const a = cedar.checkParsePolicySet(request.text !== undefined ? { staticPolicies: request.text } : request.json);
      return a.type === 'success' ? { ok: true, result: null } : { ok: false, errors: errors(a) };
    }
    default:
      return { ok: false, errors: ['unknown op ' + request.op] };
  }
}

const requests = JSON.parse(readFileSync(0, 'utf8'));
const answers = requests.map((r) => {
  try {
    return run(r);
  } catch (e) {
    return { ok: false, errors: [String(e?.message ?? e)] };
  }
});
process.stdout.write(JSON.stringify(answers));
