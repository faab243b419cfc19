"""A thin client over the generated stubs: mutual TLS from files, a fresh request id for every
mutation, errors that say what went wrong, and answers checked against the key the caller
holds."""

import uuid

import grpc

from credit.registry.v1 import registry_pb2, registry_pb2_grpc, resources_pb2
from credit_registry import verify
from google.rpc import error_details_pb2, status_pb2


# google.rpc.Code numbers (a batch item's error carries one) -> grpc.StatusCode.
_CODES = {code.value[0]: code for code in grpc.StatusCode}


class RegistryError(Exception):
    """A call the registry refused or could not answer: `code` (a grpc.StatusCode), `message`
    (names the field and what was expected, for bad input), and the details a program acts on:
    `reason` (e.g. "CHECK_CHARACTER_MISMATCH", the README's table; None when the error did not
    come from the registry), `metadata` (a dict, e.g. {"field": "entry.subject.code"}),
    `field_violations` (every invalid field: a list of (field, description)) and
    `precondition_failures` (a list of (type, subject, description))."""

    def __init__(self, code, message, details=None):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.reason = None
        self.domain = None
        self.metadata = {}
        self.field_violations = []
        self.precondition_failures = []
        for any_message in details.details if details is not None else []:
            if any_message.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                any_message.Unpack(info)
                self.reason, self.domain, self.metadata = info.reason, info.domain, dict(info.metadata)
            elif any_message.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                any_message.Unpack(bad)
                self.field_violations = [(v.field, v.description) for v in bad.field_violations]
            elif any_message.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
                failure = error_details_pb2.PreconditionFailure()
                any_message.Unpack(failure)
                self.precondition_failures = [(v.type, v.subject, v.description)
                                              for v in failure.violations]

    @classmethod
    def from_rpc_error(cls, error):
        """From a grpc.RpcError: its google.rpc.Status travels in the trailer
        grpc-status-details-bin."""
        details = None
        for key, value in error.trailing_metadata() or ():
            if key == "grpc-status-details-bin":
                details = status_pb2.Status.FromString(value)
        return cls(error.code(), error.details(), details)

    @classmethod
    def from_item(cls, status):
        """From the google.rpc.Status of one item of a batch answer."""
        return cls(_CODES.get(status.code, grpc.StatusCode.UNKNOWN), status.message, status)


class Client:
    """One connection to creditd. `server_key`: the tree-head public key (PEM file) to check
    heads and proofs against; without it, `tree_head` and `verify_change` refuse to run."""

    def __init__(self, endpoint, ca, cert, key, server_key=None, timeout=20.0):
        with open(ca, "rb") as f:
            root = f.read()
        with open(cert, "rb") as f:
            chain = f.read()
        with open(key, "rb") as f:
            private = f.read()
        credentials = grpc.ssl_channel_credentials(root, private, chain)
        self._channel = grpc.secure_channel(endpoint, credentials)
        self._stub = registry_pb2_grpc.CreditRegistryServiceStub(self._channel)
        self._timeout = timeout
        self._public_key = None
        if server_key is not None:
            with open(server_key, "rb") as f:
                self._public_key = verify.public_key_from_pem(f.read())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._channel.close()

    def _call(self, method, request):
        try:
            return method(request, timeout=self._timeout)
        except grpc.RpcError as e:
            raise RegistryError.from_rpc_error(e) from None

    # ---- status: what every department's system asks ----

    def status(self, subject_code, purpose, full=False):
        """The credit status of one subject (a credit.registry.v1.CreditStatus): lists, entries
        in force, and the measures the calling department must apply."""
        request = registry_pb2.GetCreditStatusRequest(
            subject_code=subject_code, purpose=purpose,
            view=registry_pb2.STATUS_VIEW_FULL if full else registry_pb2.STATUS_VIEW_BASIC)
        return self._call(self._stub.GetCreditStatus, request).status

    def batch_status(self, subject_codes, purpose):
        """Statuses of up to 1000 subjects, in order: a CreditStatus each, or a RegistryError
        for a code the registry refused (the others are still answered)."""
        request = registry_pb2.BatchGetCreditStatusRequest(
            subject_codes=list(subject_codes), purpose=purpose)
        out = []
        for result in self._call(self._stub.BatchGetCreditStatus, request).results:
            if result.HasField("status"):
                out.append(result.status)
            else:
                out.append(RegistryError.from_item(result.error))
        return out

    # ---- mutations: each with a request id of its own ----

    def record_entry(self, entry, request_id=None):
        """Records `entry` (a credit.registry.v1.Entry); a retry with the same `request_id` gets
        the first answer. Returns the RecordEntryResponse (entry, change sequence, signed head)."""
        request = registry_pb2.RecordEntryRequest(
            entry=entry, request_id=request_id or str(uuid.uuid4()))
        return self._call(self._stub.RecordEntry, request)

    # ---- the change log (auditor role) ----

    def changes(self, from_sequence=0, page_size=100):
        """One page of the change log from `from_sequence`: credit.registry.v1.Change messages,
        each with its record bytes (`record`), which verify_change can prove."""
        request = registry_pb2.ListChangesRequest(from_sequence=from_sequence,
                                                  page_size=page_size)
        return list(self._call(self._stub.ListChanges, request).changes)

    # ---- evidence ----

    def _key(self):
        if self._public_key is None:
            raise verify.VerificationError("no server key given: nothing to check against")
        return self._public_key

    def tree_head(self, size=0):
        """The change log's signed head (the latest, or of `size`), its signature checked."""
        head = self._call(self._stub.GetTreeHead,
                          registry_pb2.GetTreeHeadRequest(tree_size=size)).tree_head
        verify.verify_tree_head(head, self._key())
        return head

    def verify_change(self, sequence, record=None, size=0):
        """Checks that change `sequence` is in the signed tree (the latest, or of `size`): the
        head's signature, then the inclusion proof; with `record` (its bytes, from ListChanges),
        also that the proven leaf is that record. Returns the head it is proven against."""
        response = self._call(
            self._stub.GetInclusionProof,
            registry_pb2.GetInclusionProofRequest(sequence=sequence, tree_size=size))
        head = response.tree_head
        verify.verify_tree_head(head, self._key())
        if record is not None and verify.leaf_hash(record) != response.leaf_hash:
            raise verify.VerificationError(f"change {sequence}: the record is not the leaf proven")
        verify.verify_inclusion(sequence, head.tree_size, response.leaf_hash,
                                list(response.proof), head.root_hash)
        return head


__all__ = ["Client", "RegistryError", "resources_pb2"]
