"""A real S3-protocol server for the tests of files past one machine (docs/scaling.md):
`s3_server` (session) and `object_storage` (a new bucket per test, set as STORAGE_URL)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3-protocol server for the session: moto's standalone server (MinIO cannot be
    installed here), started on a free port of the loopback and stopped afterwards.
    Returns its endpoint URL."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("s3") / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()  # noqa: S310
            break
        except (urllib.error.URLError, ConnectionError):
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(f"the S3 server did not start: {log.read_text()}") from None
            time.sleep(0.2)
    yield endpoint
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def object_storage(s3_server, settings, request):
    """Uploads, PDFs and backups go to a new bucket of the S3 server, configured as in
    production by STORAGE_URL. Returns (boto3 client, bucket name)."""
    import re
    import uuid

    import boto3

    from resettlement.object_storage import storages_from_environment

    bucket = "test-" + re.sub(r"[^a-z0-9]", "-", request.node.name.lower())[:40].strip("-")
    bucket = f"{bucket}-{uuid.uuid4().hex[:8]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="resettlement",
        aws_secret_access_key="resettlement-secret",  # noqa: S106
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    url = f"s3://resettlement:resettlement-secret@{bucket}?endpoint={s3_server}&region=us-east-1"
    settings.STORAGES = storages_from_environment(
        {"STORAGE_URL": url}, base_dir=settings.BASE_DIR, debug=True
    )
    return client, bucket
