"""The official EngageLab Python SDK (`engagelab-apppush` 0.1.1, module
`engagelab`), through its own `client.device.delete`, one client shared by
every thread.

The SDK takes the base URL as `engagelab.Client(..., base_url=...)`, so nothing
is patched. It calls `urllib.request.urlopen` once per call (a new connection,
and over TLS a new handshake, every time) with Python's default SSL context,
which trusts what OpenSSL's default paths name: the throwaway bench CA is
given through the standard `SSL_CERT_FILE` variable, set below before any
call. (A one-certificate CA file is cheaper to load than the system bundle
the SDK loads in real use, so this favours the SDK slightly.)"""

import os
import sys

import harness


def main() -> None:
    args = harness.Args(sys.argv[1:])
    if args.ca_file:
        os.environ["SSL_CERT_FILE"] = args.ca_file
    import engagelab

    client = engagelab.Client(harness.APP_KEY, harness.MASTER_SECRET, base_url=args.base_url)
    delete = client.device.delete
    device = harness.DEVICE

    def call() -> None:
        delete(device)

    harness.run("engagelab-apppush (official)", engagelab.__version__, lambda: call, args)


if __name__ == "__main__":
    main()
