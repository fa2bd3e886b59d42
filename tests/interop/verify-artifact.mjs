// Verifies one authorization artifact independently of the .NET library, using only docs/artifact-format.md:
// cborg decodes, @ldclabs/cose-ts checks ES256/ES384/ES512 signatures, node:crypto checks PS256 (cose-ts has no RSA).
// A batched artifact (section 8) is checked here from its parts: the RFC 9162 inclusion proof from the payload's leaf
// hash to the root, then node:crypto checks the one signature over that root.
//
// node verify-artifact.mjs --modules DIR --artifact FILE --key PUB.pem --kid KID --alg ES256 --audience AUD
//                          --vectors docs/vectors/intent-vectors.json --vector NAME
// Prints {"verified": true, "checks": [...]} and exits 0, or {"verified": false, "error": "..."} and exits 1.
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { createHash, createPublicKey, verify as cryptoVerify, constants } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

register('./extensionless-hooks.mjs', import.meta.url);

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}

const CONTENT_TYPE = 'application/vnd.governed-execution.artifact+cbor';
const ALGORITHMS = new Map([[-7, 'ES256'], [-35, 'ES384'], [-36, 'ES512'], [-37, 'PS256']]);
const CURVES = new Map([['ES256', 'P-256'], ['ES384', 'P-384'], ['ES512', 'P-521']]);
const REQUIRED_CLAIMS = [1, 2, 3, 4, 5, 6, 7, -65537, -65538, -65539, -65540, -65541];
const OPTIONAL_CLAIMS = [-65542, -65543];
const HASHES = new Map([['ES256', 'sha256'], ['ES384', 'sha384'], ['ES512', 'sha512'], ['PS256', 'sha256']]);
const VDS = 395;
const PROOFS = 396;
const MAX_TREE_SIZE = 1024;
const checks = [];

function fail(message) {
  throw new Error(message);
}

function check(name, condition, message) {
  if (!condition) fail(`${name}: ${message}`);
  checks.push(name);
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const isBytes = (v) => v instanceof Uint8Array;
const isText = (v) => typeof v === 'string';
const isInt = (v) => Number.isInteger(v) || typeof v === 'bigint';

try {
  const cborg = await import(pathToFileURL(join(args.modules, 'cborg', 'cborg.js')).href);
  const coseModule = (name) => import(pathToFileURL(join(args.modules, '@ldclabs', 'cose-ts', 'dist', name)).href);
  const { ECDSAKey } = await coseModule('ecdsa.js');
  const { Sign1Message } = await coseModule('sign1.js');
  const strict = { useMaps: true, strict: true, rejectDuplicateMapKeys: true, allowIndefinite: false, allowUndefined: false };
  const bytes = new Uint8Array(readFileSync(args.artifact));

  // 1. Envelope: tag 18 over [protected bstr, unprotected map, payload bstr, signature bstr], nothing after it.
  const tags = [];
  tags[18] = (inner) => ({ sign1: inner });
  const envelope = cborg.decode(bytes, { ...strict, tags });
  check('structure', bytes[0] === 0xd2 && envelope.sign1 && Array.isArray(envelope.sign1) && envelope.sign1.length === 4,
    'not a tagged COSE_Sign1 (tag 18) array of four');
  const [protectedBytes, unprotected, payload, signature] = envelope.sign1;
  check('structure-types', isBytes(protectedBytes) && unprotected instanceof Map && isBytes(payload) && isBytes(signature),
    'wrong element types');

  // 2. Protected header: exactly alg (1), content type (3), kid (4); and, for a batch (section 8), vds (395) = 1.
  const header = cborg.decode(protectedBytes, strict);
  const batched = header instanceof Map && header.has(VDS);
  const labels = batched ? [1, 3, 4, VDS] : [1, 3, 4];
  check('protected-labels', header instanceof Map && header.size === labels.length && labels.every((l) => header.has(l)),
    `protected header must hold exactly ${labels}, found ${[...(header.keys?.() ?? [])]}`);
  const alg = ALGORITHMS.get(header.get(1));
  check('alg', alg !== undefined && alg === args.alg, `alg ${header.get(1)} is not the expected ${args.alg}`);
  check('content-type', header.get(3) === CONTENT_TYPE, `content type ${header.get(3)}`);
  check('kid', isBytes(header.get(4)) && new TextDecoder('utf-8', { fatal: true }).decode(header.get(4)) === args.kid, 'kid differs');
  check('unprotected', ![1, 2, 3, 4].some((label) => unprotected.has(label)), 'alg, crit, content type or kid unprotected');
  if (batched) {
    check('vds', header.get(VDS) === 1, `verifiable data structure ${header.get(VDS)} is not RFC9162_SHA256 (1)`);
    check('unprotected-proof', unprotected.size === 1 && unprotected.has(PROOFS), 'a batched artifact carries its proof and nothing else unprotected');
  } else {
    check('unprotected-proof', ![394, VDS, PROOFS].some((label) => unprotected.has(label)), 'Merkle parameters on an artifact signed alone');
  }

  // 3. What the signature covers: the payload itself, or (batched) the Merkle root the payload's inclusion proof leads to.
  let signedContent = payload;
  if (batched) {
    const proofs = unprotected.get(PROOFS);
    check('inclusion-shape', proofs instanceof Map && proofs.size === 1 && Array.isArray(proofs.get(-1)) && proofs.get(-1).length === 1
      && isBytes(proofs.get(-1)[0]), 'proofs must be {-1: [one inclusion proof]}');
    const proofBytes = proofs.get(-1)[0];
    const proof = cborg.decode(proofBytes, strict);
    check('inclusion-encoding', Array.isArray(proof) && proof.length === 3 && hex(cborg.encode(proof)) === hex(proofBytes),
      'the inclusion proof is not [tree_size, leaf_index, path] in its deterministic encoding');
    const [treeSize, leafIndex, path] = proof;
    check('inclusion-range', Number.isInteger(treeSize) && Number.isInteger(leafIndex) && treeSize >= 1 && treeSize <= MAX_TREE_SIZE
      && leafIndex >= 0 && leafIndex < treeSize && Array.isArray(path) && path.every((h) => isBytes(h) && h.length === 32),
      'tree size, leaf index or path out of range');
    const sha256 = (...parts) => new Uint8Array(createHash('sha256').update(Buffer.concat(parts.map((p) => Buffer.from(p)))).digest());
    // RFC 9162 section 2.1.3.2, with leaf hash SHA-256(0x00 || payload) and node hash SHA-256(0x01 || left || right).
    let r = sha256([0], payload);
    let fn = leafIndex;
    let sn = treeSize - 1;
    for (const p of path) {
      if (sn === 0) fail('inclusion: the path is longer than the tree is tall');
      if (fn % 2 === 1 || fn === sn) {
        r = sha256([1], p, r);
        while (fn % 2 === 0 && fn !== 0) { fn >>= 1; sn >>= 1; }
      } else {
        r = sha256([1], r, p);
      }
      fn >>= 1;
      sn >>= 1;
    }
    check('inclusion', sn === 0, 'the path is shorter than the tree is tall');
    signedContent = r;
  }

  // Signature over Sig_structure ["Signature1", protected, h'', payload or root], with the key pinned to alg.
  const publicKey = createPublicKey(readFileSync(args.key, 'utf8'));
  const jwk = publicKey.export({ format: 'jwk' });
  const toBeSigned = cborg.encode(['Signature1', protectedBytes, new Uint8Array(0), signedContent]);
  if (alg === 'PS256') {
    check('key-type', jwk.kty === 'RSA' && Buffer.from(jwk.n, 'base64url').length >= 256, 'PS256 needs an RSA key of at least 2048 bits');
    const ok = cryptoVerify('sha256', toBeSigned, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
    check('signature', ok, 'RSASSA-PSS signature does not verify');
  } else if (batched) {
    check('key-type', jwk.kty === 'EC' && jwk.crv === CURVES.get(alg), `${alg} needs ${CURVES.get(alg)}, the key is ${jwk.crv}`);
    const ok = cryptoVerify(HASHES.get(alg), toBeSigned, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    check('signature', ok, 'the signature over the Merkle root does not verify');
  } else {
    check('key-type', jwk.kty === 'EC' && jwk.crv === CURVES.get(alg), `${alg} needs ${CURVES.get(alg)}, the key is ${jwk.crv}`);
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
    const key = ECDSAKey.fromPublic(new Uint8Array(point));
    Sign1Message.fromBytes(key, bytes); // throws on alg mismatch or a bad signature
    checks.push('signature');
  }

  // 4. Claims: a deterministic map of exactly the documented claims.
  const claims = cborg.decode(payload, strict);
  check('claims-map', claims instanceof Map, 'payload is not a map');
  const keys = [...claims.keys()];
  check('claims-required', REQUIRED_CLAIMS.every((k) => claims.has(k)), `missing claims: ${REQUIRED_CLAIMS.filter((k) => !claims.has(k))}`);
  check('claims-known', keys.every((k) => REQUIRED_CLAIMS.includes(k) || OPTIONAL_CLAIMS.includes(k)), `unknown claims: ${keys}`);
  const encodedKeys = keys.map((k) => Buffer.from(cborg.encode(k)));
  check('claims-deterministic', encodedKeys.every((k, i) => i === 0 || Buffer.compare(encodedKeys[i - 1], k) < 0),
    'keys are not in bytewise order of their encodings');
  check('claims-reencode', hex(cborg.encode(claims)) === hex(payload), 'payload is not in its deterministic encoding');
  check('claim-types', isText(claims.get(1)) && isText(claims.get(2)) && isText(claims.get(3)) && isInt(claims.get(4)) && isInt(claims.get(5))
    && isInt(claims.get(6)) && isBytes(claims.get(7)) && claims.get(7).length === 16 && isBytes(claims.get(-65537)) && claims.get(-65537).length === 32
    && isInt(claims.get(-65538)) && isText(claims.get(-65539)) && Array.isArray(claims.get(-65540)) && claims.get(-65540).every(isText)
    && Array.isArray(claims.get(-65541)) && claims.get(-65541).every((o) => Array.isArray(o) && o.length === 3 && o.every(isText)), 'a claim has the wrong type');
  check('decision', claims.get(-65538) === 2, `decision ${claims.get(-65538)} is not permit (2)`);
  check('audience', claims.get(3) === args.audience, `aud ${claims.get(3)}`);
  check('validity', Number(claims.get(5)) <= Number(claims.get(4)) && Number(claims.get(6)) < Number(claims.get(4)), 'exp is not after iat and nbf');
  check('policy-set', /^[0-9a-f]{64}$/.test(claims.get(-65539)), 'policy-set digest is not lowercase hex SHA-256');

  // 5. Intent digest against the published vector.
  const vectors = JSON.parse(readFileSync(args.vectors, 'utf8')).vectors;
  const vector = vectors.find((v) => v.name === args.vector) ?? fail(`no vector ${args.vector}`);
  check('intent', hex(claims.get(-65537)) === vector.sha256, `intent digest ${hex(claims.get(-65537))} is not the vector's ${vector.sha256}`);

  console.log(JSON.stringify({ verified: true, alg, kid: args.kid, checks }));
} catch (error) {
  console.log(JSON.stringify({ verified: false, error: String(error?.message ?? error), checks }));
  process.exit(1);
}
