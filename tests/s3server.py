"""An S3-compatible server on loopback for the lake-on-S3 tests: moto's ThreadedMotoServer, a
real HTTP endpoint (pyarrow's AWS SDK and s3fs both talk to it, which moto's in-process mock
cannot intercept), reached through the standard AWS variables (`AWS_ENDPOINT_URL` or
`AWS_ENDPOINT_URL_S3`).

Not a conftest: the tests that need it import `moto_s3` explicitly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

ACCESS_KEY = "AKIALAKETEST00000001"
SECRET_KEY = "lake-s3-SECRET-b7e1c9d2f4a6"  # must never show up in a log, an error or the lake
REGION = "us-east-1"


@dataclass
class S3Server:
    url: str
    env: dict[str, str] = field(default_factory=dict)

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def keys(self, bucket: str, prefix: str = "", *, markers: bool = False) -> list[str]:
        """The objects under `prefix`; without the empty `folder/` markers pyarrow leaves when it
        deletes the last object of a "folder" (kept so the folder still lists), unless asked."""
        paginator = self.client().get_paginator("list_objects_v2")
        return sorted(o["Key"] for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
                      for o in page.get("Contents", []) if markers or not o["Key"].endswith("/"))

    def enforce_auth(self, on: bool) -> None:
        """moto checks signatures (and that the access key exists) only when told to; an unknown
        key is then refused (InvalidAccessKeyId)."""
        httpx.post(f"{self.url}/moto-api/reset-auth", content=b"0" if on else b"inf").raise_for_status()


@contextmanager
def moto_s3(*buckets: str, endpoint_variable: str = "AWS_ENDPOINT_URL") -> Iterator[S3Server]:
    """A fresh server with `buckets`; `.env` is the AWS environment that points at it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        s3 = S3Server(url, {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": REGION,
            endpoint_variable: url,
            # nothing from the machine's own AWS setup
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
        })
        for bucket in buckets:
            s3.create_bucket(bucket)
        yield s3
    finally:
        try:
            httpx.post(f"{url}/moto-api/reset-auth", content=b"inf")  # moto's auth switch is process-wide
        except Exception:  # noqa: BLE001
            pass
        server.stop()
