"""This project's Python module (`engagelab_push`, the Rust core underneath):
one `engagelab_push.Client` shared by every thread (it is thread-safe and
releases the GIL while it waits on the network)."""

import sys

import harness


def main() -> None:
    args = harness.Args(sys.argv[1:])
    import engagelab_push

    kwargs = {"base_url": args.base_url, "max_retries": 0}
    if args.ca_file:
        kwargs["ca_file"] = args.ca_file
    client = engagelab_push.Client(harness.APP_KEY, harness.MASTER_SECRET, **kwargs)
    delete = client.delete_device
    device = harness.DEVICE

    def call() -> None:
        delete(device)

    version = getattr(engagelab_push, "__version__", "?")
    harness.run("engagelab_push (python)", version, lambda: call, args)


if __name__ == "__main__":
    main()
