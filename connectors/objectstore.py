"""The lake on object storage (`UTILITY_LAKE_URI=s3://bucket/prefix`).

Writes and listings go through `pyarrow.fs.S3FileSystem`; DuckDB reads through an fsspec
filesystem (s3fs) registered on its connection (DuckDB's httpfs extension is not needed). Both
take credentials, region and endpoint from the standard AWS environment, read when a filesystem
is created: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (or any other source of
the AWS default credential chain), AWS_REGION / AWS_DEFAULT_REGION, and AWS_ENDPOINT_URL_S3 /
AWS_ENDPOINT_URL for S3-compatible servers (MinIO, moto, Ceph, R2...). No credential ever passes
through this module's objects, their repr or their error messages.

`ObjectPath` offers the small part of pathlib's API the lake and the connectors use on a lake
root (`/`, `name`, `parent`, `exists`, `read_bytes`, `write_bytes`, `replace`, `unlink`, `stat`,
`iterdir`, `rglob`, `relative_to`), so code written against `Lake.root` works on both.
There are no folders on S3: `mkdir` does nothing and a "folder" exists while an object has its
prefix. A PUT is atomic (readers see the whole object or none), a rename is not (it is a copy
then a delete): the lake writes every file directly under its final key.
"""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import PurePosixPath
from types import SimpleNamespace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .core.errors import ConfigurationError

LAKE_URI_ENV = "UTILITY_LAKE_URI"
OBJECT_STORE_SCHEMES = ("s3",)
# The standard AWS environment the S3 clients read (pyarrow's AWS SDK, botocore for s3fs).
# Secrets among them are never logged, landed or put in Dagster metadata.
AWS_ENV_VARS = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CA_BUNDLE",
)
AWS_SECRET_ENV_VARS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")

T = TypeVar("T")


class LakeStorageError(OSError):
    """A lake operation on object storage failed. The message names the operation and the
    object's URI (bucket and key), never a credential."""


def is_object_store_uri(value: object) -> bool:
    """True for `s3://...` (a str or an ObjectPath)."""
    if isinstance(value, ObjectPath):
        return True
    return isinstance(value, str) and urlsplit(value.strip()).scheme.lower() in OBJECT_STORE_SCHEMES


def parse_lake_uri(uri: str) -> tuple[str, str, str]:
    """`s3://bucket/some/prefix/` -> ("s3", "bucket", "some/prefix"). Rejects what the readers
    could not follow (credentials or options in the URI, a missing bucket)."""
    split = urlsplit(uri.strip())
    scheme = split.scheme.lower()
    if scheme not in OBJECT_STORE_SCHEMES:
        raise ConfigurationError(f"{LAKE_URI_ENV}: unsupported scheme {split.scheme!r} (s3:// or a local path)")
    if "@" in split.netloc:
        # Never echo it: the part before '@' would be a key pair.
        raise ConfigurationError(f"{LAKE_URI_ENV} must not carry credentials; set AWS_ACCESS_KEY_ID and "
                                 "AWS_SECRET_ACCESS_KEY (or another source of the AWS credential chain)")
    if split.query or split.fragment:
        raise ConfigurationError(f"{LAKE_URI_ENV} takes no options (?...): the region and the endpoint come "
                                 "from AWS_REGION and AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL")
    bucket = split.netloc
    if not bucket or ":" in bucket:
        raise ConfigurationError(f"{LAKE_URI_ENV} must name a bucket: s3://<bucket>/<prefix>, got {uri.strip()!r}")
    prefix = "/".join(part for part in split.path.split("/") if part)
    if any(part in (".", "..") for part in prefix.split("/")):
        raise ConfigurationError(f"{LAKE_URI_ENV}: '.' and '..' are not allowed in the prefix, got {uri.strip()!r}")
    return scheme, bucket, prefix


def normalized_lake_uri(uri: str) -> str:
    scheme, bucket, prefix = parse_lake_uri(uri)
    return f"{scheme}://{bucket}/{prefix}" if prefix else f"{scheme}://{bucket}"


def _endpoint(env: Mapping[str, str]) -> str:
    return (env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or "").strip()


def _region(env: Mapping[str, str]) -> str:
    return (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "").strip()


def s3_filesystem(bucket: str | None = None, env: Mapping[str, str] | None = None):
    """A pyarrow S3FileSystem configured from the AWS environment. Credentials are not passed:
    the AWS SDK's default chain reads them (environment first) when a request is signed."""
    import pyarrow.fs as pafs

    env = os.environ if env is None else env
    options: dict[str, Any] = {"allow_delayed_open": True}  # small files: one PutObject at close
    endpoint = _endpoint(env)
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        options["endpoint_override"] = parts.netloc + parts.path.rstrip("/")
        options["scheme"] = parts.scheme or "https"
    region = _region(env)
    if not region and not endpoint and bucket:
        try:  # as FileSystem.from_uri does: the bucket's own region
            region = pafs.resolve_s3_region(bucket)
        except (OSError, ValueError):
            region = ""
    if region:
        options["region"] = region
    return pafs.S3FileSystem(**options)


def fsspec_filesystem(env: Mapping[str, str] | None = None):
    """The fsspec (s3fs) filesystem DuckDB reads s3:// through (`con.register_filesystem`).
    No listing cache: a query right after a write sees the new files."""
    import s3fs

    env = os.environ if env is None else env
    options: dict[str, Any] = {"skip_instance_cache": True, "use_listings_cache": False}
    endpoint = _endpoint(env)
    if endpoint:
        options["endpoint_url"] = endpoint
    region = _region(env)
    if region:
        options["client_kwargs"] = {"region_name": region}
    return s3fs.S3FileSystem(**options)


def register_aws_secrets(env: Mapping[str, str] | None = None) -> None:
    """Scrub the AWS secret key and session token from every log line (connectors.core.redaction)."""
    from .core.redaction import register_secret

    env = os.environ if env is None else env
    for name in AWS_SECRET_ENV_VARS:
        register_secret((env.get(name) or "").strip())


def _scrub(text: str) -> str:
    """An error message without the AWS secrets of this process (the SDK never puts them there;
    this is the belt to those braces)."""
    for name in AWS_SECRET_ENV_VARS:
        value = (os.environ.get(name) or "").strip()
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text


def _hint(detail: str, bucket: str) -> str:
    upper = detail.upper()
    if "NO_SUCH_BUCKET" in upper or "NOSUCHBUCKET" in upper:
        return f" (bucket {bucket!r} does not exist at this endpoint: check {LAKE_URI_ENV} and AWS_ENDPOINT_URL_S3)"
    if any(code in upper for code in ("ACCESS_DENIED", "ACCESSDENIED", "INVALIDACCESSKEYID", "SIGNATUREDOESNOTMATCH",
                                      "EXPIREDTOKEN", "INVALIDTOKEN", "FORBIDDEN")):
        return (f" (no access to bucket {bucket!r}: check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
                "AWS_SESSION_TOKEN and the bucket's policy)")
    return ""


class ObjectPath:
    """A key (or key prefix) in a bucket, with a pathlib-like API. `str()` is its URI."""

    __slots__ = ("fs", "path", "scheme")

    def __init__(self, fs: Any, path: str, scheme: str = "s3") -> None:
        self.fs = fs
        self.path = "/".join(part for part in path.split("/") if part)  # bucket/key, no slashes around
        self.scheme = scheme

    @classmethod
    def from_uri(cls, uri: str, env: Mapping[str, str] | None = None) -> ObjectPath:
        scheme, bucket, prefix = parse_lake_uri(uri)
        return cls(s3_filesystem(bucket, env), f"{bucket}/{prefix}", scheme)

    # -- pure path ---------------------------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.scheme}://{self.path}"

    def __repr__(self) -> str:
        return f"ObjectPath({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ObjectPath) and (self.scheme, self.path) == (other.scheme, other.path)

    def __hash__(self) -> int:
        return hash((self.scheme, self.path))

    def __lt__(self, other: ObjectPath) -> bool:
        return (self.scheme, self.path) < (other.scheme, other.path)

    def __truediv__(self, other: str | os.PathLike) -> ObjectPath:
        tail = "/".join(part for part in str(other).split("/") if part)
        return ObjectPath(self.fs, f"{self.path}/{tail}" if tail else self.path, self.scheme)

    @property
    def bucket(self) -> str:
        return self.path.split("/", 1)[0]

    @property
    def key(self) -> str:
        return self.path.split("/", 1)[1] if "/" in self.path else ""

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem

    @property
    def parent(self) -> ObjectPath:
        return ObjectPath(self.fs, self.path.rsplit("/", 1)[0], self.scheme) if "/" in self.path else self

    def relative_to(self, other: ObjectPath) -> PurePosixPath:
        if self.path == other.path:
            return PurePosixPath(".")
        if not self.path.startswith(other.path + "/"):
            raise ValueError(f"{self} is not under {other}")
        return PurePosixPath(self.path[len(other.path) + 1:])

    def as_posix(self) -> str:
        return str(self)

    def as_uri(self) -> str:
        return str(self)

    # -- storage -----------------------------------------------------------------------------------

    def _call(self, operation: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except FileNotFoundError:
            raise
        except OSError as exc:
            detail = _scrub(str(exc))
            raise LakeStorageError(f"lake storage: {operation} {self} failed: {detail}{_hint(detail, self.bucket)}") \
                from None

    def _info(self):
        return self._call("reading the status of", lambda: self.fs.get_file_info(self.path))

    def exists(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type != pafs.FileType.NotFound

    def is_file(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type == pafs.FileType.File

    def is_dir(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type == pafs.FileType.Directory

    def mkdir(self, mode: int = 0o777, parents: bool = False, exist_ok: bool = False) -> None:
        """Nothing to do: an object store has no folders (a prefix exists while an object has it)."""

    def stat(self) -> SimpleNamespace:
        info = self._info()
        import pyarrow.fs as pafs

        if info.type == pafs.FileType.NotFound:
            raise FileNotFoundError(f"{self} does not exist")
        mtime_ns = info.mtime_ns if info.mtime_ns is not None else 0
        return SimpleNamespace(st_size=info.size or 0, st_mtime=mtime_ns / 1e9, st_mtime_ns=mtime_ns)

    def read_bytes(self) -> bytes:
        def read() -> bytes:
            with self.fs.open_input_stream(self.path) as stream:
                return stream.read()

        return self._call("reading", read)

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def write_bytes(self, data: bytes) -> int:
        """One PUT of the whole object: atomic, readers see all of it or none."""
        def write() -> int:
            with self.fs.open_output_stream(self.path) as out:
                out.write(data)
            return len(data)

        return self._call("writing", write)

    def write_text(self, text: str, encoding: str = "utf-8") -> int:
        return self.write_bytes(text.encode(encoding))

    def replace(self, target: ObjectPath) -> ObjectPath:
        """Copy, then delete: NOT atomic on S3 (the target appears whole, the source goes after)."""
        if not isinstance(target, ObjectPath):
            raise TypeError(f"cannot move {self} to a local path")
        self._call(f"moving to {target}", lambda: self.fs.move(self.path, target.path))
        return target

    rename = replace

    def unlink(self, missing_ok: bool = False) -> None:
        try:
            self._call("deleting", lambda: self.fs.delete_file(self.path))
        except FileNotFoundError:
            if not missing_ok:
                raise

    def _listing(self, recursive: bool) -> list:
        import pyarrow.fs as pafs

        selector = pafs.FileSelector(self.path, recursive=recursive, allow_not_found=True)
        return self._call("listing", lambda: self.fs.get_file_info(selector))

    def iterdir(self) -> Iterator[ObjectPath]:
        for info in self._listing(recursive=False):
            yield ObjectPath(self.fs, info.path, self.scheme)

    def files(self, recursive: bool = True) -> Iterator[tuple[ObjectPath, Any]]:
        """(path, pyarrow FileInfo) of every object under this prefix."""
        import pyarrow.fs as pafs

        for info in self._listing(recursive=recursive):
            if info.type == pafs.FileType.File:
                yield ObjectPath(self.fs, info.path, self.scheme), info

    def glob(self, pattern: str) -> Iterator[ObjectPath]:
        if "/" in pattern:
            raise ValueError("ObjectPath.glob takes a name pattern, not a path")
        for path in self.iterdir():
            if fnmatch.fnmatchcase(path.name, pattern):
                yield path

    def rglob(self, pattern: str) -> Iterator[ObjectPath]:
        """Objects and prefixes under this one whose name matches `pattern` (no '/')."""
        if "/" in pattern:
            raise ValueError("ObjectPath.rglob takes a name pattern, not a path")
        for info in self._listing(recursive=True):
            path = ObjectPath(self.fs, info.path, self.scheme)
            if fnmatch.fnmatchcase(path.name, pattern):
                yield path


def older_than(info: Any, seconds: float, now: float | None = None) -> bool:
    """Whether an object's last modification is more than `seconds` ago."""
    now = time.time() if now is None else now
    return info.mtime_ns is not None and now - info.mtime_ns / 1e9 > seconds
