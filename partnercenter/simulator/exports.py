"""The asynchronous reconciliation exports of Microsoft Graph (billing sheet §2.2 to §2.5): an export is an
operation that runs for a few polls, then points at a manifest; the manifest lists gzip JSON Lines blobs
under a root directory with a directory SAS that expires.

The rows are rendered when the export is requested (a snapshot, like Microsoft's files). Faults planted by the
control API: the next export fails, blob downloads answer as if the SAS expired, blobs trickle slowly.
HTTP lives in ``graph.py``; this module only keeps jobs and bytes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

BLOB_PREFIX = "/blob/"


@dataclass
class Blob:
    name: str
    data: bytes
    items: int


@dataclass
class ExportJob:
    id: str
    partner_tenant_id: str
    created: dt.datetime
    root_path: str
    """Path of the root directory under the blob prefix (no host)."""
    lines: list[str] = field(default_factory=list)
    failure: tuple[str, str] | None = None
    polls: int = 0
    manifest_id: str = ""
    etag: str = ""
    blobs: list[Blob] = field(default_factory=list)
    sas_expires: dt.datetime | None = None
    finished: dt.datetime | None = None


@dataclass
class ExportFaults:
    fail_next: int = 0
    fail_message: str = "No data available"
    expire_blobs: int = 0
    slow_blob_seconds: float = 0.0
    slow_blob_count: int = 0

    def clear(self) -> None:
        self.fail_next = self.expire_blobs = self.slow_blob_count = 0
        self.slow_blob_seconds = 0.0


class Exports:
    def __init__(self, seed: str = "pcsim") -> None:
        self.jobs: dict[str, ExportJob] = {}
        self.manifests: dict[str, str] = {}
        self.faults = ExportFaults()
        self._secret = hashlib.sha256(f"sas:{seed}".encode()).digest()

    def clear(self) -> None:
        self.jobs.clear()
        self.manifests.clear()
        self.faults.clear()

    # -- jobs ----------------------------------------------------------------------------------------------------
    def start(self, partner_tenant_id: str, now: dt.datetime, root_path: str, lines: list[dict[str, Any]] | None,
              failure: tuple[str, str] | None, new_id: str) -> ExportJob:
        job = ExportJob(id=new_id, partner_tenant_id=partner_tenant_id, created=now, root_path=root_path)
        if self.faults.fail_next > 0:
            self.faults.fail_next -= 1
            failure = ("5000", self.faults.fail_message)
        if failure is not None or lines is None:
            job.failure = failure or ("5000", "No data available")
        else:
            job.lines = [json.dumps(line, ensure_ascii=False, separators=(",", ":")) for line in lines]
        self.jobs[job.id] = job
        return job

    def poll(self, job: ExportJob, now: dt.datetime, *, polls_needed: int, items_per_blob: int,
             sas_hours: float, manifest_id: str) -> str:
        """``running`` until enough polls, then ``succeeded`` (blobs built) or ``failed``."""
        if job.finished is None:
            job.polls += 1
            if job.polls <= polls_needed:
                return "running"
            job.finished = now
            if job.failure is None:
                self._build(job, now, items_per_blob, sas_hours, manifest_id)
        return "failed" if job.failure is not None else "succeeded"

    def _build(self, job: ExportJob, now: dt.datetime, items_per_blob: int, sas_hours: float,
               manifest_id: str) -> None:
        size = max(1, items_per_blob)
        chunks = [job.lines[i:i + size] for i in range(0, len(job.lines), size)] or [[]]
        for index, chunk in enumerate(chunks):
            name = f"part-{index:05d}-{uuid.uuid5(uuid.NAMESPACE_URL, job.id + str(index))}.c000.json.gz"
            raw = "".join(line + "\n" for line in chunk).encode()
            job.blobs.append(Blob(name=name, data=gzip.compress(raw, mtime=0), items=len(chunk)))
        job.etag = hashlib.sha256("\n".join(job.lines).encode()).hexdigest()[:17]
        job.manifest_id = manifest_id
        job.sas_expires = now + dt.timedelta(hours=sas_hours)
        self.manifests[manifest_id] = job.id

    # -- SAS --------------------------------------------------------------------------------------------------
    def _signature(self, root_path: str, expiry: str) -> str:
        digest = hmac.new(self._secret, f"{root_path}\n{expiry}".encode(), hashlib.sha256).hexdigest()
        return digest[:43]

    def sas_token(self, job: ExportJob) -> str:
        assert job.sas_expires is not None
        expiry = job.sas_expires.strftime("%Y-%m-%dT%H:%M:%SZ")
        return (f"skv=2021-08-06&sv=2021-08-06&se={quote(expiry, safe='')}&sr=d&sp=rl&sdd=7"
                f"&sig={self._signature(job.root_path, expiry)}")

    def blob(self, path: str, query: dict[str, str], now: dt.datetime) -> tuple[int, Blob | str]:
        """Look up a blob by its path under ``/blob/`` and check the SAS: (200, blob) or (status, error code)."""
        root, _, name = path.rpartition("/")
        job = next((j for j in self.jobs.values()
                    if j.root_path == root and j.manifest_id and any(b.name == name for b in j.blobs)), None)
        if job is None:
            return 404, "BlobNotFound"
        expiry = unquote(query.get("se", ""))
        if query.get("sig") != self._signature(job.root_path, expiry) or query.get("sp", "") not in ("rl", "r"):
            return 403, "AuthenticationFailed"
        if self.faults.expire_blobs > 0:
            self.faults.expire_blobs -= 1
            return 403, "AuthenticationFailed"
        try:
            expires = dt.datetime.strptime(expiry, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            return 403, "AuthenticationFailed"
        if now >= expires:
            return 403, "AuthenticationFailed"
        found = next((b for b in job.blobs if b.name == name), None)
        if found is None:
            return 404, "BlobNotFound"
        return 200, found

    def take_slow(self) -> float:
        if self.faults.slow_blob_count > 0:
            self.faults.slow_blob_count -= 1
            return self.faults.slow_blob_seconds
        return 0.0
