'use strict';
// A department's check before it awards a contract, and the auditor's habit of checking what it
// is told: node examples/status_check.js ENDPOINT PKI_DIR SERVER_KEY SUBJECT_CODE
const { Client, RegistryError } = require('..');

async function main([endpoint, pki, serverKey, code]) {
  const registry = new Client(endpoint, {
    ca: `${pki}/ca.pem`, cert: `${pki}/querier.pem`, key: `${pki}/querier.key`, serverKey,
  });
  try {
    const status = await registry.status(code, '政府采购资格审查');
    const lists = ['red', 'black', 'watch'].filter((list) => status[`on_${list}_list`]);
    console.log(`${lists.join(', ') || 'no'} list`, JSON.stringify(status.measures.map((m) => m.measure.code)));
    const head = await registry.treeHead();  // signature checked, or VerificationError
    console.log(`log of ${head.tree_size} changes, root ${head.root_hash.toString('hex').slice(0, 16)}… verified`);
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    console.error(`${error.codeName} ${error.reason}: ${error.details}`);
    process.exitCode = 1;
  } finally {
    registry.close();
  }
}

main(process.argv.slice(2));
