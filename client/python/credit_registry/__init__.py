"""Credit Registry's Python client: status lookups and mutations over mutual TLS, and the checks
that make the registry's answers evidence (signed tree heads, inclusion proofs).

    from credit_registry import Client
    with Client("127.0.0.1:50051", ca="pki/ca.pem", cert="pki/querier.pem",
                key="pki/querier.key", server_key="tree-head-signing.key.pub") as registry:
        status = registry.status("91440300MA5FXXXX0U", purpose="政府采购资格审查")

The gRPC stubs are generated from proto/ at build time into this package's `_stubs` folder
(client/python/CMakeLists.txt); put the built package's parent folder on PYTHONPATH.
"""

import os
import sys

_STUBS = os.path.join(os.path.dirname(__file__), "_stubs")
if _STUBS not in sys.path:
    sys.path.insert(0, _STUBS)

from credit_registry.client import Client, RegistryError  # noqa: E402
from credit_registry.verify import (  # noqa: E402
    VerificationError,
    leaf_hash,
    verify_inclusion,
    verify_tree_head,
)

__all__ = [
    "Client",
    "RegistryError",
    "VerificationError",
    "leaf_hash",
    "verify_inclusion",
    "verify_tree_head",
]
