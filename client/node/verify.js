'use strict';
// The checks of common/merkle/tree_head_format.md and RFC 9162 with Node's own crypto: a signed
// tree head against the public key the caller holds, and an inclusion proof against a head's root.
// Nothing here trusts the server.
const crypto = require('node:crypto');

const CHANGE_LOG_LABEL = Buffer.from('credit-registry/tree-head/v1\0', 'latin1');
const QUERY_LOG_LABEL = Buffer.from('credit-registry/query-head/v1\0', 'latin1');

/** What the server said does not check out: the answer is not evidence. */
class VerificationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'VerificationError';
  }
}

const sha256 = (...parts) => crypto.createHash('sha256').update(Buffer.concat(parts)).digest();

/** The Ed25519 public key in a SubjectPublicKeyInfo PEM (the .pub file creditd writes). */
function publicKeyFromPem(pem) {
  const key = crypto.createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new VerificationError('the server key is not an Ed25519 public key');
  }
  return key;
}

/** The 32 raw bytes of an Ed25519 public key (the last 32 of its DER form). */
function rawPublicKey(key) {
  return key.export({ format: 'der', type: 'spki' }).subarray(-32);
}

/** RFC 6962 leaf hash of a record: SHA-256(0x00 || record). */
function leafHash(record) {
  return sha256(Buffer.from([0]), record);
}

function node(left, right) {
  return sha256(Buffer.from([1]), left, right);
}

/**
 * Checks a credit.registry.v1.SignedTreeHead (as the client decodes it: tree_size a decimal
 * string, byte fields Buffers): its key id names `publicKey` and its signature covers its fields
 * under the change log's label (or the query log's).
 */
function verifyTreeHead(head, publicKey, { queryLog = false } = {}) {
  const raw = rawPublicKey(publicKey);
  if (head.root_hash.length !== 32 || head.key_id.length !== 32) {
    throw new VerificationError('tree head: root hash and key id must be 32 bytes');
  }
  if (!sha256(raw).equals(head.key_id)) {
    throw new VerificationError('tree head: signed by another key than the one trusted (key id differs)');
  }
  if (BigInt(head.tree_size) === 0n && !sha256(Buffer.alloc(0)).equals(head.root_hash)) {
    throw new VerificationError("tree head: size 0 with another root than the empty tree's");
  }
  const numbers = Buffer.alloc(16);
  numbers.writeBigUInt64BE(BigInt(head.tree_size), 0);
  numbers.writeBigInt64BE(BigInt(head.timestamp_micros), 8);
  const message = Buffer.concat([
    queryLog ? QUERY_LOG_LABEL : CHANGE_LOG_LABEL, numbers, head.root_hash, head.key_id,
  ]);
  if (!crypto.verify(null, message, publicKey, head.signature)) {
    throw new VerificationError('tree head: the signature does not verify');
  }
}

/**
 * RFC 9162 §2.1.3.2: `leaf` (a leaf hash) is leaf `index` of the tree of `size` leaves whose root
 * is `root`, by the audit path `proof` (leaf side first). Indexes and sizes as BigInt or strings.
 */
function verifyInclusion(index, size, leaf, proof, root) {
  index = BigInt(index);
  size = BigInt(size);
  if (index >= size) {
    throw new VerificationError(`inclusion: leaf ${index} is beyond a tree of ${size}`);
  }
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new VerificationError('inclusion: the proof is longer than the tree is deep');
    if ((fn & 1n) === 1n || fn === sn) {
      r = node(p, r);
      if ((fn & 1n) === 0n) {
        while (fn !== 0n && (fn & 1n) === 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = node(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n || !r.equals(root)) {
    throw new VerificationError(`inclusion: leaf ${index} does not lead to the root of the tree of ${size}`);
  }
}

module.exports = { VerificationError, publicKeyFromPem, leafHash, verifyTreeHead, verifyInclusion };
