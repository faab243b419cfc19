'use strict';
// The Node client against a real creditd (run_client_test.sh starts it): status, batch status,
// a mutation with its own request id, errors with their details, and the checks that make answers
// evidence. Run with node --test; the endpoint, PKI folder and server key come from the environment.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { before, after, test } = require('node:test');
const {
  Client, RegistryError, VerificationError, leafHash, publicKeyFromPem, verifyInclusion, verifyTreeHead,
} = require('../../client/node');

const { CREDIT_ENDPOINT: ENDPOINT, CREDIT_PKI: PKI, CREDIT_SERVER_KEY: SERVER_KEY } = process.env;
const ORG = '91440300MA5FXXXX0U';
const ORG2 = '91350200MA2Y9J3T80';
const PERSON = '440524198001010013';

const connect = (identity) => new Client(ENDPOINT, {
  ca: `${PKI}/ca.pem`, cert: `${PKI}/${identity}.pem`, key: `${PKI}/${identity}.key`, serverKey: SERVER_KEY,
});

const listing = (code, document) => ({
  subject: { code, name: '深圳某某科技有限公司' },
  list: 'LIST_KIND_BLACK', severity: 'SEVERITY_GENERAL', category: 'tax', facts: '逃避缴纳税款',
  legal_basis: '《税收征收管理法》第六十三条', authority: '市税务局', document_number: document,
  decision_date: '2026-01-05', effective_date: '2026-01-06', expiry_date: '2099-01-05',
  measure_codes: ['P-PROCUREMENT'],
});

let recorder;
let querier;
let auditor;
let recorded;

before(async () => {
  recorder = connect('recorder');
  querier = connect('querier');
  auditor = connect('auditor');
  recorded = await recorder.recordEntry(listing(ORG, '深税罚〔2026〕1号'));
});

after(() => {
  for (const client of [recorder, querier, auditor]) client.close();
});

test('the status names the list and the department\'s measures', async () => {
  const status = await querier.status(ORG, '政府采购资格审查');
  assert.equal(status.on_black_list, true);
  assert.equal(status.on_red_list, false);
  assert.deepEqual(status.measures.map((m) => m.measure.code), ['P-PROCUREMENT']);
  assert.deepEqual(status.measures[0].entry_ids, [recorded.entry.id]);
});

test('a batch answers each code and names the refused one with its details', async () => {
  const results = await querier.batchStatus([ORG, '91440300MA5FXXXX0X', PERSON], '招投标');
  assert.equal(results[0].on_black_list, true);
  assert.ok(results[1] instanceof RegistryError);
  assert.equal(results[1].code, 3);
  assert.equal(results[1].codeName, 'INVALID_ARGUMENT');
  assert.equal(results[1].reason, 'CHECK_CHARACTER_MISMATCH');
  assert.deepEqual(results[1].metadata, { field: 'subject_codes[1]', got: 'X', want: 'U' });
  assert.deepEqual(results[1].fieldViolations, [{
    field: 'subject_codes[1]', description: "unified social credit code check character is 'X', want 'U'",
  }]);
  assert.equal(results[2].subject.code, '440524********0013');  // masked for a querier
});

test('every invalid field of an entry is named', async () => {
  const bad = { ...listing('91440300MA5FXXXX0X', '深税罚〔2026〕9号'), facts: '', expiry_date: '2026-01-01' };
  await assert.rejects(recorder.recordEntry(bad), (error) => {
    assert.ok(error instanceof RegistryError);
    assert.equal(error.codeName, 'INVALID_ARGUMENT');
    assert.equal(error.reason, 'CHECK_CHARACTER_MISMATCH');
    assert.equal(error.domain, 'credit.registry.v1');
    assert.deepEqual(error.fieldViolations.map((v) => v.field),
      ['entry.subject.code', 'entry.facts', 'entry.expiry_date']);
    return true;
  });
});

test('an illegal transition carries its precondition failure', async () => {
  const entry = recorded.entry;  // ACTIVE: listings take effect at once here
  await assert.rejects(
    recorder.call('ApproveRepair', { entry_id: entry.id, request_id: 'node-repair-1' }),
    (error) => {
      assert.equal(error.codeName, 'PERMISSION_DENIED');
      assert.equal(error.reason, 'ROLE_NOT_PERMITTED');
      assert.deepEqual(error.metadata, { method: 'ApproveRepair', roles: 'approver' });
      return true;
    });
  const approver = connect('approver');
  try {
    await assert.rejects(
      approver.call('ApproveRepair', { entry_id: entry.id, request_id: 'node-repair-2' }),
      (error) => {
        assert.equal(error.codeName, 'FAILED_PRECONDITION');
        assert.equal(error.reason, 'ILLEGAL_TRANSITION');
        assert.equal(error.metadata.status, 'ACTIVE');
        assert.deepEqual(error.preconditionFailures.map(({ type, subject }) => ({ type, subject })),
          [{ type: 'ENTRY_STATUS', subject: `entries/${entry.id}` }]);
        return true;
      });
  } finally {
    approver.close();
  }
});

test('each mutation gets its own request id and a retry its first answer', async () => {
  const first = await recorder.recordEntry(listing(ORG2, '深税罚〔2026〕3号'), 'node-retry-1');
  const again = await recorder.recordEntry(listing(ORG2, '深税罚〔2026〕3号'), 'node-retry-1');
  const other = await recorder.recordEntry(listing(ORG2, '深税罚〔2026〕4号'));
  assert.equal(again.entry.id, first.entry.id);
  assert.equal(again.change_sequence, first.change_sequence);
  assert.notEqual(other.entry.id, first.entry.id);
});

test('the head and the proof of a change verify', async () => {
  const head = await querier.treeHead();
  const proven = await querier.verifyChange(recorded.change_sequence);
  assert.ok(BigInt(head.tree_size) > BigInt(recorded.change_sequence));
  assert.ok(BigInt(proven.tree_size) >= BigInt(head.tree_size));
});

test('an auditor proves the record it read', async () => {
  const [change] = await auditor.changes(recorded.change_sequence, 1);
  assert.equal(change.sequence, recorded.change_sequence);
  await auditor.verifyChange(recorded.change_sequence, { record: change.record });
  await assert.rejects(
    auditor.verifyChange(recorded.change_sequence, { record: Buffer.concat([change.record, Buffer.from('x')]) }),
    VerificationError);
});

test('a forged head or proof is refused', async () => {
  const head = await querier.treeHead();
  const key = publicKeyFromPem(fs.readFileSync(SERVER_KEY));
  verifyTreeHead(head, key);
  const forged = { ...head, tree_size: String(BigInt(head.tree_size) + 1n) };
  assert.throws(() => verifyTreeHead(forged, key), /the signature does not verify/);
  assert.throws(() => verifyTreeHead(head, key, { queryLog: true }), /the signature does not verify/);
  // A proof for one leaf does not prove another.
  const response = await querier.call('GetInclusionProof', {
    sequence: recorded.change_sequence, tree_size: head.tree_size,
  });
  verifyInclusion(recorded.change_sequence, head.tree_size, response.leaf_hash, response.proof, head.root_hash);
  assert.throws(
    () => verifyInclusion(recorded.change_sequence, head.tree_size, leafHash(Buffer.from('x')),
      response.proof, head.root_hash),
    /does not lead to the root/);
});
