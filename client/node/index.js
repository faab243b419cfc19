'use strict';
// The Node.js client of the Credit Registry: status lookups and mutations over mutual TLS, a fresh
// request id for every mutation, errors with their details decoded, and the checks that make the
// registry's answers evidence (signed tree heads, inclusion proofs).
//
//   const { Client } = require('@credit-registry/client');
//   const registry = new Client('127.0.0.1:50051', { ca: 'pki/ca.pem', cert: 'pki/querier.pem',
//     key: 'pki/querier.key', serverKey: 'tree-head-signing.key.pub' });
//   const status = await registry.status('91440300MA5FXXXX0U', '政府采购资格审查');
//
// Messages are plain objects with the .proto's field names (subject_code, on_black_list), 64-bit
// integers as decimal strings, bytes as Buffers, enums by name (LIST_KIND_BLACK).
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');
const verify = require('./verify');

// proto/ of the repository; a copy elsewhere can be named with CREDIT_REGISTRY_PROTO_DIR.
const PROTO_DIR = process.env.CREDIT_REGISTRY_PROTO_DIR || path.join(__dirname, '..', '..', 'proto');
const LOADER_OPTIONS = {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_DIR],
};

const service = grpc.loadPackageDefinition(
  protoLoader.loadSync('credit/registry/v1/registry.proto', LOADER_OPTIONS)).credit.registry.v1;

// google.rpc.Status and its details, to decode the trailer grpc-status-details-bin.
const details = new protobuf.Root();
details.resolvePath = (origin, target) => (
  target.startsWith('google/protobuf/') ? target : path.join(PROTO_DIR, target));
details.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
const RpcStatus = details.lookupType('google.rpc.Status');

/**
 * A call the registry refused or could not answer: `code` (a grpc.status number), `codeName`,
 * `message` (names the field and what was expected), and what a program acts on: `reason` (e.g.
 * CHECK_CHARACTER_MISMATCH; the README's table), `domain`, `metadata` (an object),
 * `fieldViolations` ([{field, description}]), `preconditionFailures` ([{type, subject,
 * description}]).
 */
class RegistryError extends Error {
  constructor(code, message, status) {
    const codeName = Object.keys(grpc.status).find((name) => grpc.status[name] === code) || 'UNKNOWN';
    super(`${codeName}: ${message}`);
    this.name = 'RegistryError';
    this.code = code;
    this.codeName = codeName;
    this.details = message;
    this.reason = null;
    this.domain = null;
    this.metadata = {};
    this.fieldViolations = [];
    this.preconditionFailures = [];
    for (const any of (status && status.details) || []) {
      const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
      const type = details.lookupType(typeName);
      const detail = type.toObject(type.decode(any.value), { defaults: true });
      if (typeName === 'google.rpc.ErrorInfo') {
        this.reason = detail.reason;
        this.domain = detail.domain;
        this.metadata = { ...detail.metadata };
      } else if (typeName === 'google.rpc.BadRequest') {
        this.fieldViolations = detail.field_violations.map(({ field, description }) => ({ field, description }));
      } else if (typeName === 'google.rpc.PreconditionFailure') {
        this.preconditionFailures = detail.violations.map(
          ({ type: kind, subject, description }) => ({ type: kind, subject, description }));
      }
    }
  }

  /** From a grpc-js ServiceError: its google.rpc.Status travels in grpc-status-details-bin. */
  static fromServiceError(error) {
    const [bytes] = (error.metadata && error.metadata.get('grpc-status-details-bin')) || [];
    const status = bytes ? RpcStatus.toObject(RpcStatus.decode(bytes), { defaults: true }) : null;
    return new RegistryError(error.code, error.details, status);
  }

  /** From the google.rpc.Status of one item of a batch answer (as the client decodes it). */
  static fromItem(status) {
    return new RegistryError(status.code, status.message, status);
  }
}

class Client {
  /**
   * One connection to creditd: `ca`, `cert`, `key` are PEM files (the certificate's common name is
   * the identity the server knows the caller by); `serverKey` the tree-head public key (PEM) to
   * check heads and proofs against; `timeoutMs` each call's deadline.
   */
  constructor(endpoint, { ca, cert, key, serverKey = null, timeoutMs = 20000 }) {
    const credentials = grpc.credentials.createSsl(
      fs.readFileSync(ca), fs.readFileSync(key), fs.readFileSync(cert));
    this.stub = new service.CreditRegistryService(endpoint, credentials);
    this.timeoutMs = timeoutMs;
    this.publicKey = serverKey ? verify.publicKeyFromPem(fs.readFileSync(serverKey)) : null;
  }

  close() {
    this.stub.close();
  }

  call(method, request) {
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + this.timeoutMs);
      this.stub[method](request, { deadline }, (error, response) => {
        if (error) reject(RegistryError.fromServiceError(error));
        else resolve(response);
      });
    });
  }

  // ---- status: what every department's system asks ----

  /** The credit status of one subject: lists, entries in force, the department's measures. */
  async status(subjectCode, purpose, { full = false } = {}) {
    const response = await this.call('GetCreditStatus', {
      subject_code: subjectCode, purpose, view: full ? 'STATUS_VIEW_FULL' : 'STATUS_VIEW_BASIC',
    });
    return response.status;
  }

  /** Statuses of up to 1000 subjects, in order: a CreditStatus each, or a RegistryError. */
  async batchStatus(subjectCodes, purpose) {
    const response = await this.call('BatchGetCreditStatus', { subject_codes: subjectCodes, purpose });
    return response.results.map((result) => (
      result.result === 'status' ? result.status : RegistryError.fromItem(result.error)));
  }

  // ---- mutations: each with a request id of its own ----

  /** Records `entry`; a retry with the same `requestId` gets the first answer. */
  recordEntry(entry, requestId = crypto.randomUUID()) {
    return this.call('RecordEntry', { entry, request_id: requestId });
  }

  // ---- the change log (auditor role) and evidence ----

  /** One page of the change log from `fromSequence`, each change with its record bytes. */
  async changes(fromSequence = 0, pageSize = 100) {
    const response = await this.call('ListChanges', {
      from_sequence: String(fromSequence), page_size: pageSize,
    });
    return response.changes;
  }

  key() {
    if (!this.publicKey) throw new verify.VerificationError('no server key given: nothing to check against');
    return this.publicKey;
  }

  /** The change log's signed head (the latest, or of `size`), its signature checked. */
  async treeHead(size = 0) {
    const response = await this.call('GetTreeHead', { tree_size: String(size) });
    verify.verifyTreeHead(response.tree_head, this.key());
    return response.tree_head;
  }

  /**
   * Checks that change `sequence` is in the signed tree (the latest, or of `size`): the head's
   * signature, then the inclusion proof; with `record` (its bytes, from changes()), also that the
   * proven leaf is that record. Returns the head it is proven against.
   */
  async verifyChange(sequence, { record = null, size = 0 } = {}) {
    const response = await this.call('GetInclusionProof', {
      sequence: String(sequence), tree_size: String(size),
    });
    const head = response.tree_head;
    verify.verifyTreeHead(head, this.key());
    if (record && !verify.leafHash(record).equals(response.leaf_hash)) {
      throw new verify.VerificationError(`change ${sequence}: the record is not the leaf proven`);
    }
    verify.verifyInclusion(sequence, head.tree_size, response.leaf_hash, response.proof, head.root_hash);
    return head;
  }
}

module.exports = { Client, RegistryError, ...verify };
