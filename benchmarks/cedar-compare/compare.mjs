// Evaluates the exported workloads with the official Cedar engine (cedar-wasm under Node.js), checks that every
// decision agrees with ours.json, and prints the time per decision of each engine and the ratio.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';

const root = process.argv[2];
let disagreements = 0;
console.log(`Cedar ${cedar.getCedarVersion()} (cedar-wasm, Node.js ${process.version}) vs GovernedExecution (.NET)`);
console.log('| workload | requests | cedar-wasm ns/decision | ours ns/decision | ratio (cedar-wasm / ours) | decisions agree |');
console.log('|---|---:|---:|---:|---:|---|');
for (const name of readdirSync(root).sort()) {
  const dir = join(root, name);
  const policies = readFileSync(join(dir, 'policies.cedar'), 'utf8');
  const entities = JSON.parse(readFileSync(join(dir, 'entities.json'), 'utf8'));
  const requests = JSON.parse(readFileSync(join(dir, 'requests.json'), 'utf8'));
  const ours = JSON.parse(readFileSync(join(dir, 'ours.json'), 'utf8'));
  const parsed = cedar.preparsePolicySet(name, { staticPolicies: policies });
  if (parsed.type !== 'success') throw new Error(`${name}: ${JSON.stringify(parsed.errors)}`);
  const call = (r) => cedar.statefulIsAuthorized({
    principal: r.principal, action: r.action, resource: r.resource, context: r.context,
    preparsedPolicySetId: name, entities,
  });
  // Ids: ours names policies policy0..N in text order as Cedar does for an unnamed static set.
  let agree = 0;
  requests.forEach((r, i) => {
    const answer = call(r);
    if (answer.type !== 'success') throw new Error(`${name} request ${i}: ${JSON.stringify(answer.errors)}`);
    const theirs = answer.response;
    const reasons = [...theirs.diagnostics.reason].sort();
    const expected = ours.decisions[i];
    const same = theirs.decision === expected.decision
      && JSON.stringify(reasons) === JSON.stringify([...expected.reasons].sort())
      && theirs.diagnostics.errors.length === expected.errors;
    if (same) agree++; else { disagreements++; console.error(`${name} request ${i}: cedar ${JSON.stringify(theirs)} ours ${JSON.stringify(expected)}`); }
  });
  const rounds = 4000;
  for (let i = 0; i < rounds / 4; i++) call(requests[i % requests.length]);
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) call(requests[i % requests.length]);
  const nanos = Number(process.hrtime.bigint() - start) / rounds;
  console.log(`| ${name} | ${requests.length} | ${nanos.toFixed(0)} | ${ours.nanosecondsPerDecision.toFixed(0)} | ${(nanos / ours.nanosecondsPerDecision).toFixed(1)} | ${agree}/${requests.length} |`);
}
process.exit(disagreements === 0 ? 0 : 1);
