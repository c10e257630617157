"""Verifies every DKIM-Signature of a message with dkimpy (Debian's python3-dkim), an independent
verifier, looking the keys up at the test DNS server given on the command line (never real DNS).

usage: verify.py MESSAGE_FILE DNS_HOST DNS_PORT
   or: verify.py --serve, then one "MESSAGE_FILE DNS_HOST DNS_PORT" line per message on stdin
       (a test run starts Python once); each answer ends with a line "exit=N"
prints one line per signature; exits (N=) 0 when there is at least one and all verify, 1
otherwise; 3 when dkimpy, dnspython or PyNaCl is missing. Stops at the end of stdin.
"""
import sys

try:
    import dkim
    import dns.resolver
    import nacl  # noqa: F401  (ed25519-sha256)
except ImportError as e:
    print("missing: %s" % e)
    sys.exit(3)


def verify(path, host, port):
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = port
    resolver.lifetime = 5

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        try:
            answer = resolver.resolve(name, "TXT")
        except Exception as e:  # NXDOMAIN, no answer, timeout: no key
            print("dns: %s: %s" % (name, e))
            return None
        return b"".join(b"".join(r.strings) for r in answer)

    with open(path, "rb") as f:
        message = f.read()
    d = dkim.DKIM(message)
    count = len([h for h in d.headers if h[0].lower() == b"dkim-signature"])
    if count == 0:
        print("no DKIM-Signature")
        return 1
    ok = True
    for i in range(count):
        try:
            result = d.verify(idx=i, dnsfunc=dnsfunc)
        except dkim.DKIMException as e:
            print("signature %d: error %s" % (i, e))
            result = False
        sig = d.signature_fields if hasattr(d, "signature_fields") else {}
        print("signature %d: %s a=%s d=%s s=%s" % (
            i, "pass" if result else "FAIL",
            sig.get(b"a", b"?").decode(), sig.get(b"d", b"?").decode(), sig.get(b"s", b"?").decode()))
        ok = ok and result
    return 0 if ok else 1


if sys.argv[1:] == ["--serve"]:
    for line in sys.stdin:
        path, host, port = line.split()
        try:
            code = verify(path, host, int(port))
        except Exception as e:  # keep serving; the test reports it
            print("verifier error: %r" % e)
            code = 2
        print("exit=%d" % code, flush=True)
else:
    sys.exit(verify(sys.argv[1], sys.argv[2], int(sys.argv[3])))
