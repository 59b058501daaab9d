"""requests: one `requests.Session` per thread (a Session is not documented as
thread-safe), the Authorization header precomputed in the session."""

import os
import sys

import harness
import requests

# requests lets these variables override a Session's `verify`; the bench CA
# must win (cargo xtask bench unsets them too).
for _name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(_name, None)


def main() -> None:
    args = harness.Args(sys.argv[1:])

    def per_thread():
        s = requests.Session()
        s.verify = args.ca_file or True
        s.headers["Authorization"] = harness.AUTHORIZATION
        s.headers["Accept"] = "application/json"
        url = args.url

        def call() -> None:
            r = s.delete(url, timeout=30)
            r.content  # noqa: B018 - read the body, as a caller would
            if r.status_code != 200:
                raise RuntimeError(f"HTTP {r.status_code}")

        return call

    harness.run("requests.Session", requests.__version__, per_thread, args)


if __name__ == "__main__":
    main()
