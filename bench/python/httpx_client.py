"""httpx: one `httpx.Client` (thread-safe, pooled) shared by every thread,
the Authorization header precomputed in the client."""

import ssl
import sys

import harness
import httpx


def main() -> None:
    args = harness.Args(sys.argv[1:])
    verify = ssl.create_default_context(cafile=args.ca_file) if args.ca_file else True
    client = httpx.Client(
        verify=verify,
        timeout=30,
        headers={"Authorization": harness.AUTHORIZATION, "Accept": "application/json"},
    )
    url = args.url

    def call() -> None:
        r = client.delete(url)
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}")

    harness.run("httpx.Client", httpx.__version__, lambda: call, args)


if __name__ == "__main__":
    main()
