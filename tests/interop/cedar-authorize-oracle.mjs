// Evaluates a batch of Cedar test cases with the official Cedar engine (@cedar-policy/cedar-wasm, without a schema), so
// that the .NET evaluator can be compared with it (CedarDifferentialTests).
//
// node cedar-authorize-oracle.mjs --modules DIR --batch FILE --out FILE
//
// The batch is {"tests": [{"name", "policies": "<Cedar text>", "entities": [<entity JSON>],
//                          "requests": [{"principal", "action", "resource", "context"}]}]}.
// The output is {"engine", "results": [{"name", "requests": [{"decision", "reason": [ids], "errors": [ids]}
//                                                           | {"failure": "message"}]}]}
// where ids are the positional policy ids (policy0, policy1, ...) and "failure" means the engine refused the input
// (policies or entities that do not parse). Exits 0 when every request was evaluated, 1 on a problem with the batch.
//
// A test with "schema" (Cedar schema text) is evaluated with it: each request with isAuthorized and validateRequest
// (entities and context read and validated with the schema; a request or entities that do not conform are a
// "failure"), and the policies are validated against it (validate, strict mode). The validation result is one more
// entry after the requests: {"validation": [{"policyId", "message", "warning": bool}]} (the validator's errors and
// warnings), or {"failure": "message"} when the engine refused the input.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}

try {
  const require = createRequire(import.meta.url);
  const cedar = require(join(args.modules, '@cedar-policy', 'cedar-wasm', 'nodejs', 'cedar_wasm.js'));
  const version = JSON.parse(readFileSync(join(args.modules, '@cedar-policy', 'cedar-wasm', 'package.json'), 'utf8')).version;
  const batch = JSON.parse(readFileSync(args.batch, 'utf8'));
  const message = (errors) => errors.map((e) => e.message ?? JSON.stringify(e)).join('; ');
  const decide = (answer) => answer.type === 'success'
    ? {
      decision: answer.response.decision,
      reason: [...answer.response.diagnostics.reason].sort(),
      errors: answer.response.diagnostics.errors.map((e) => e.policyId).sort(),
      messages: answer.response.diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`),
    }
    : { failure: message(answer.errors) };
  const results = [];
  for (const test of batch.tests) {
    const requests = [];
    if (test.schema != null) {
      for (const request of test.requests) {
        requests.push(decide(cedar.isAuthorized({
          principal: request.principal,
          action: request.action,
          resource: request.resource,
          context: request.context ?? {},
          schema: test.schema,
          validateRequest: true,
          policies: { staticPolicies: test.policies },
          entities: test.entities,
        })));
      }

      const checked = cedar.validate({ schema: test.schema, policies: { staticPolicies: test.policies }, validationSettings: { mode: 'strict' } });
      requests.push(checked.type !== 'success' ? { failure: message(checked.errors) } : {
        validation: [
          ...checked.validationErrors.map((e) => ({ policyId: e.policyId, message: e.error.message, warning: false })),
          ...checked.validationWarnings.map((e) => ({ policyId: e.policyId, message: e.error.message, warning: true })),
        ],
      });
      results.push({ name: test.name, requests });
      continue;
    }

    // The policies are parsed once per test (ids policy0, policy1, ... as with isAuthorized), the entities per request.
    const parsed = cedar.preparsePolicySet('batch', { staticPolicies: test.policies });
    for (const request of test.requests) {
      const answer = parsed.type !== 'success' ? parsed : cedar.statefulIsAuthorized({
        principal: request.principal,
        action: request.action,
        resource: request.resource,
        context: request.context ?? {},
        preparsedPolicySetId: 'batch',
        entities: test.entities,
      });
      requests.push(decide(answer));
    }

    results.push({ name: test.name, requests });
  }

  writeFileSync(args.out, JSON.stringify({ engine: `@cedar-policy/cedar-wasm ${version}`, results }));
  process.exit(0);
} catch (error) {
  process.stderr.write(`cedar-authorize-oracle: ${error?.stack ?? error}\n`);
  process.exit(1);
}
