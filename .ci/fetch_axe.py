#!/usr/bin/env python3
"""Fetches axe-core (the accessibility checker the mini app's browser test
runs, tests/tests/miniapp_browser.rs) from the npm registry, checks it
against the pinned checksum, and writes axe.min.js to the path given.

    python3 .ci/fetch_axe.py target/axe-core/axe.min.js

Standard library only; does nothing when the file is already there."""
import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request

VERSION = "4.14.1"
URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
# The registry's integrity of the tarball, and the checksum of the file used.
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
JS_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"


def main() -> int:
    dest = sys.argv[1] if len(sys.argv) > 1 else "target/axe-core/axe.min.js"
    if os.path.exists(dest):
        return 0
    with urllib.request.urlopen(URL, timeout=60) as r:
        tgz = r.read()
    got = "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode()
    if got != INTEGRITY:
        print(f"axe-core {VERSION}: integrity {got}, expected {INTEGRITY}", file=sys.stderr)
        return 1
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        js = tar.extractfile("package/axe.min.js").read()
    if hashlib.sha256(js).hexdigest() != JS_SHA256:
        print(f"axe-core {VERSION}: axe.min.js is not the pinned file", file=sys.stderr)
        return 1
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    tmp = dest + ".part"
    with open(tmp, "wb") as f:
        f.write(js)
    os.replace(tmp, dest)
    print(f"axe-core {VERSION} -> {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
