"""Exits 0 when every URL given answers ``DELETE /v4/devices/probe`` with 200.

    python bench/tools/probe_server.py CA_FILE URL...

`cargo xtask bench` runs it until nginx is up, over plain HTTP and TLS (the
TLS URL is verified against CA_FILE, the run's throwaway CA).
"""

from __future__ import annotations

import ssl
import sys
import urllib.request


def main(ca_file: str, urls: list[str]) -> None:
    ctx = ssl.create_default_context(cafile=ca_file)
    for url in urls:
        req = urllib.request.Request(url + "/v4/devices/probe", method="DELETE")
        with urllib.request.urlopen(req, timeout=2, context=ctx) as r:
            if r.status != 200:
                sys.exit(f"{url}: HTTP {r.status}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
