#!/usr/bin/env python3
"""A department's business system asks the registry about a bidder before awarding a contract.

    PYTHONPATH=build/client/python python3 client/python/examples/status_check.py ENDPOINT PKI_DIR SERVER_KEY CODE
"""
import sys

from credit_registry import Client, RegistryError

endpoint, pki, server_key, code = sys.argv[1:5]
with Client(endpoint, ca=f"{pki}/ca.pem", cert=f"{pki}/querier.pem", key=f"{pki}/querier.key",
            server_key=server_key) as registry:
    try:
        status = registry.status(code, purpose="政府采购资格审查 项目 2026-031")
    except RegistryError as e:
        sys.exit(f"refused: {e}")
    print("black list" if status.on_black_list else "not on the black list",
          [m.measure.code for m in status.measures])
    head = registry.tree_head()  # signed by the key we hold, or an exception
    print(f"log of {head.tree_size} changes, root {head.root_hash.hex()[:16]}… verified")
