"""The checks of common/merkle/tree_head_format.md and RFC 9162, in Python's standard library and
Debian's `cryptography`: a signed tree head against the public key the caller holds, and an
inclusion proof against a head's root. Nothing here trusts the server."""

import hashlib
import struct

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

_CHANGE_LOG_LABEL = b"credit-registry/tree-head/v1\x00"
_QUERY_LOG_LABEL = b"credit-registry/query-head/v1\x00"


class VerificationError(Exception):
    """What the server said does not check out: the answer is not evidence."""


def public_key_from_pem(pem: bytes) -> bytes:
    """The 32 raw bytes of an Ed25519 public key in a SubjectPublicKeyInfo PEM (the .pub file
    creditd writes beside its key)."""
    key = load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise VerificationError("the server key is not an Ed25519 public key")
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def leaf_hash(record: bytes) -> bytes:
    """RFC 6962 leaf hash of a record: SHA-256(0x00 || record)."""
    return hashlib.sha256(b"\x00" + record).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_tree_head(head, public_key: bytes, query_log: bool = False) -> None:
    """Checks a credit.registry.v1.SignedTreeHead: its key id names `public_key` (32 raw bytes)
    and its signature covers its fields under the change log's label (or the query log's)."""
    if len(head.root_hash) != 32 or len(head.key_id) != 32:
        raise VerificationError("tree head: root hash and key id must be 32 bytes")
    if head.key_id != hashlib.sha256(public_key).digest():
        raise VerificationError(
            "tree head: signed by another key than the one trusted (key id differs)")
    if head.tree_size == 0 and head.root_hash != hashlib.sha256(b"").digest():
        raise VerificationError("tree head: size 0 with another root than the empty tree's")
    message = (
        (_QUERY_LOG_LABEL if query_log else _CHANGE_LOG_LABEL)
        + struct.pack(">Qq", head.tree_size, head.timestamp_micros)
        + head.root_hash
        + head.key_id
    )
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(head.signature, message)
    except InvalidSignature:
        raise VerificationError("tree head: the signature does not verify") from None


def verify_inclusion(index: int, size: int, leaf: bytes, proof, root: bytes) -> None:
    """RFC 9162 §2.1.3.2: `leaf` (a leaf hash) is leaf `index` of the tree of `size` leaves
    whose root is `root`, by the audit path `proof` (leaf side first)."""
    if index >= size:
        raise VerificationError(f"inclusion: leaf {index} is beyond a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise VerificationError("inclusion: the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise VerificationError(
            f"inclusion: leaf {index} does not lead to the root of the tree of {size}")
