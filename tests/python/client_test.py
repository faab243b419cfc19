"""The Python client against a real creditd (run_client_test.sh starts it): status, batch status,
a mutation with its own request id, errors, and the checks that make answers evidence."""
import copy
import hashlib
import sys
import unittest

import grpc

from credit_registry import (Client, RegistryError, VerificationError, leaf_hash,
                             verify_inclusion, verify_tree_head)
from credit_registry.verify import public_key_from_pem
from credit.registry.v1 import resources_pb2

ENDPOINT, PKI, SERVER_KEY = sys.argv[1:4]
ORG = "91440300MA5FXXXX0U"
ORG2 = "91350200MA2Y9J3T80"  # the retries' subject: ORG keeps its one entry
PERSON = "440524198001010013"


def connect(identity):
    return Client(ENDPOINT, ca=f"{PKI}/ca.pem", cert=f"{PKI}/{identity}.pem",
                  key=f"{PKI}/{identity}.key", server_key=SERVER_KEY)


def listing(code, document):
    return resources_pb2.Entry(
        subject=resources_pb2.Subject(code=code, name="深圳某某科技有限公司"),
        list=resources_pb2.LIST_KIND_BLACK, severity=resources_pb2.SEVERITY_GENERAL, category="tax",
        facts="逃避缴纳税款", legal_basis="《税收征收管理法》第六十三条", authority="市税务局",
        document_number=document, decision_date="2026-01-05", effective_date="2026-01-06",
        expiry_date="2099-01-05", measure_codes=["P-PROCUREMENT"])


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with connect("recorder") as recorder:
            cls.recorded = recorder.record_entry(listing(ORG, "深税罚〔2026〕1号"))

    def test_status_names_the_list_and_the_departments_measures(self):
        with connect("querier") as querier:
            status = querier.status(ORG, purpose="政府采购资格审查")
        self.assertTrue(status.on_black_list)
        self.assertFalse(status.on_red_list)
        self.assertEqual([m.measure.code for m in status.measures], ["P-PROCUREMENT"])
        self.assertEqual(list(status.measures[0].entry_ids), [self.recorded.entry.id])

    def test_batch_answers_each_code_and_names_the_refused_one(self):
        with connect("querier") as querier:
            results = querier.batch_status([ORG, "91440300MA5FXXXX0X", PERSON], purpose="招投标")
        self.assertTrue(results[0].on_black_list)
        self.assertIsInstance(results[1], RegistryError)
        self.assertEqual(results[1].code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(results[1].message, "subject_codes[1]: unified social credit code check "
                                             "character is 'X', want 'U'")
        self.assertEqual(results[1].reason, "CHECK_CHARACTER_MISMATCH")
        self.assertEqual(results[1].metadata,
                         {"field": "subject_codes[1]", "got": "X", "want": "U"})
        self.assertEqual(results[1].field_violations,
                         [("subject_codes[1]", "unified social credit code check character is "
                                               "'X', want 'U'")])
        self.assertFalse(results[2].on_black_list)
        self.assertEqual(results[2].subject.code, "440524********0013")  # masked for a querier

    def test_bad_input_is_a_registry_error_naming_the_field(self):
        with connect("querier") as querier:
            with self.assertRaises(RegistryError) as refused:
                querier.status("123", purpose="政府采购资格审查")
        self.assertEqual(refused.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(refused.exception.reason, "INVALID_FIELD")
        self.assertEqual(refused.exception.domain, "credit.registry.v1")
        self.assertEqual([field for field, _ in refused.exception.field_violations],
                         ["subject_code"])

    def test_every_invalid_field_of_an_entry_is_named(self):
        bad = listing("91440300MA5FXXXX0X", "深税罚〔2026〕9号")
        bad.facts = ""
        bad.expiry_date = "2026-01-01"
        with connect("recorder") as recorder:
            with self.assertRaises(RegistryError) as refused:
                recorder.record_entry(bad)
        error = refused.exception
        self.assertEqual(error.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(error.reason, "CHECK_CHARACTER_MISMATCH")
        self.assertEqual(error.field_violations, [
            ("entry.subject.code", "unified social credit code check character is 'X', want 'U'"),
            ("entry.facts", "required, want 1 to 4000 characters"),
            ("entry.expiry_date", "got 2026-01-01, want a date on or after effective_date "
                                  "2026-01-06"),
        ])

    def test_a_role_without_the_right_is_permission_denied(self):
        with connect("querier") as querier:
            with self.assertRaises(RegistryError) as refused:
                querier.record_entry(listing(ORG, "深税罚〔2026〕2号"))
        self.assertEqual(refused.exception.code, grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(refused.exception.reason, "ROLE_NOT_PERMITTED")
        self.assertEqual(refused.exception.metadata, {"method": "RecordEntry", "roles": "recorder"})

    def test_each_mutation_gets_its_own_request_id_and_a_retry_its_first_answer(self):
        with connect("recorder") as recorder:
            first = recorder.record_entry(listing(ORG2, "深税罚〔2026〕3号"), request_id="py-retry-1")
            again = recorder.record_entry(listing(ORG2, "深税罚〔2026〕3号"), request_id="py-retry-1")
            other = recorder.record_entry(listing(ORG2, "深税罚〔2026〕4号"))
        self.assertEqual(first.entry.id, again.entry.id)
        self.assertEqual(first.change_sequence, again.change_sequence)
        self.assertNotEqual(other.entry.id, first.entry.id)

    def test_the_head_and_the_proof_of_a_change_verify(self):
        with connect("querier") as querier:
            head = querier.tree_head()
            proven = querier.verify_change(self.recorded.change_sequence)
        self.assertGreater(head.tree_size, self.recorded.change_sequence)
        self.assertGreaterEqual(proven.tree_size, head.tree_size)

    def test_an_auditor_proves_the_record_it_read(self):
        with connect("auditor") as auditor:
            change = auditor.changes(from_sequence=self.recorded.change_sequence, page_size=1)[0]
            self.assertEqual(change.sequence, self.recorded.change_sequence)
            record = change.record
            auditor.verify_change(self.recorded.change_sequence, record=record)
            with self.assertRaises(VerificationError):
                auditor.verify_change(self.recorded.change_sequence, record=record + b"x")

    def test_a_forged_head_or_proof_is_refused(self):
        with connect("querier") as querier:
            head = querier.tree_head()
        with open(SERVER_KEY, "rb") as f:
            key = public_key_from_pem(f.read())
        forged = copy.deepcopy(head)
        forged.tree_size += 1
        with self.assertRaises(VerificationError) as refused:
            verify_tree_head(forged, key)
        self.assertIn("signature does not verify", str(refused.exception))
        # A change-log head is not a query-log head.
        with self.assertRaises(VerificationError):
            verify_tree_head(head, key, query_log=True)
        with self.assertRaises(VerificationError):
            verify_tree_head(head, b"\x01" * 32)
        # RFC 6962's two-leaf tree: each leaf proven by the other; a wrong sibling fails.
        a, b = leaf_hash(b"a"), leaf_hash(b"b")
        root = hashlib.sha256(b"\x01" + a + b).digest()
        verify_inclusion(0, 2, a, [b], root)
        verify_inclusion(1, 2, b, [a], root)
        with self.assertRaises(VerificationError):
            verify_inclusion(0, 2, a, [a], root)
        with self.assertRaises(VerificationError):
            verify_inclusion(2, 2, a, [b], root)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
