#!/usr/bin/env python3
"""Computes docs/vectors/intent-vectors.json from intent-inputs.json.

An encoder written from docs/artifact-format.md alone (section "Intent digest"), independent of the C# code:
the C# test IntentVectorTests checks IntentEncoding against the file this writes.
Usage: python3 docs/vectors/make_intent_vectors.py
"""
import hashlib
import json
import os
import re
import uuid

ENTITY_TAG = 39001
DECIMAL_TAG = 4


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | extra]) + n.to_bytes(size, "big")
    raise ValueError("too large")


def integer(n):
    if not -(1 << 63) <= n < (1 << 63):
        raise ValueError("outside the 64-bit range")
    return head(0, n) if n >= 0 else head(1, -1 - n)


def text(s):
    b = s.encode("utf-8")
    return head(3, len(b)) + b


def array(items):
    return head(4, len(items)) + b"".join(items)


def cbor_map(pairs):
    # RFC 8949 section 4.2.1: keys sorted by the bytewise order of their deterministic encodings.
    pairs = sorted(pairs, key=lambda kv: kv[0])
    return head(5, len(pairs)) + b"".join(k + v for k, v in pairs)


def entity(e):
    return head(6, ENTITY_TAG) + array([text(e["type"]), text(e["id"])])


def decimal(arg):
    m = re.fullmatch(r"(-?)([0-9]+)\.([0-9]{1,4})", arg)
    if not m:
        raise ValueError("not a Cedar decimal: " + arg)
    scaled = int(m.group(2)) * 10000 + int(m.group(3).ljust(4, "0"))
    return head(6, DECIMAL_TAG) + array([integer(-4), integer(-scaled if m.group(1) else scaled)])


def value(v):
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return integer(v)
    if isinstance(v, str):
        return text(v)
    if isinstance(v, list):
        return array(sorted({value(item) for item in v}))  # a set: distinct encodings, sorted bytewise
    if isinstance(v, dict):
        if list(v) == ["__entity"]:
            return entity(v["__entity"])
        if list(v) == ["__extn"]:
            if v["__extn"]["fn"] != "decimal":
                raise ValueError("unsupported extension")
            return decimal(v["__extn"]["arg"])
        return cbor_map([(text(k), value(x)) for k, x in v.items()])
    raise ValueError("unsupported JSON value")


def intent(j):
    parent = j.get("parent")
    arguments = j.get("arguments")
    return cbor_map([
        (text("v"), integer(1)),
        (text("type"), text("governed-intent")),
        (text("principal"), entity(j["principal"])),
        (text("action"), entity(j["action"])),
        (text("resource"), entity(j["resource"])),
        (text("context"), value(j.get("context", {})) if j.get("context") else head(5, 0)),
        (text("parent"), b"\xf6" if parent is None else head(2, 16) + uuid.UUID(parent).bytes),
        (text("arguments"), b"\xf6" if arguments is None else head(2, 32) + bytes.fromhex(arguments)),
    ])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "intent-inputs.json"), encoding="utf-8") as f:
        inputs = json.load(f)
    vectors = []
    for case in inputs:
        encoded = intent(case["intent"])
        vectors.append({
            "name": case["name"],
            "covers": case["covers"],
            "intent": case["intent"],
            "cbor": encoded.hex(),
            "sha256": hashlib.sha256(encoded).hexdigest(),
        })
    with open(os.path.join(here, "intent-vectors.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump({"format": "governed-intent v1 (docs/artifact-format.md)", "vectors": vectors}, f, ensure_ascii=False, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
