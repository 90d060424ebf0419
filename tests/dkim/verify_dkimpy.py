"""Checks every DKIM-Signature of a message with dkimpy (Debian's python3-dkim; Ed25519
through python3-nacl). Usage: verify_dkimpy.py KEYS_FILE < message, KEYS_FILE as for
verify_opendkim. Prints one line per signature and exits 0 when there is at least one
signature and every one passes, 1 otherwise."""
import sys

import dkim


def main():
    records = {}
    with open(sys.argv[1], "rb") as f:
        for line in f:
            name, _, txt = line.strip().partition(b" ")
            records[name.lower() + b"."] = txt
    message = sys.stdin.buffer.read()
    d = dkim.DKIM(message)
    count = sum(1 for name, _ in d.headers if name.lower() == b"dkim-signature")
    if count == 0:
        print("no signature")
        return 1
    failed = False
    for idx in range(count):
        why = ""
        try:
            ok = d.verify(idx=idx, dnsfunc=lambda name, timeout=5: records.get(name.lower()))
        except dkim.DKIMException as e:
            ok, why = False, f": {e}"
        sig = d.signature_fields or {}
        print("d=%s s=%s a=%s %s%s" % (sig.get(b"d", b"").decode(), sig.get(b"s", b"").decode(),
                                       sig.get(b"a", b"").decode(), "pass" if ok else "fail", why))
        failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
