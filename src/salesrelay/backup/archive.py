"""The backup file: an uncompressed tar of `manifest.json` and the copy itself.

One file travels better than two (a manifest beside a dump gets lost); tar because every
operating system opens it, and because the copy inside stays an ordinary SQLite file or
`pg_dump` archive that the store's own tools read.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from pathlib import Path

from salesrelay.backup.manifest import BACKENDS, BackupError, Manifest

MANIFEST = "manifest.json"
CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def write(target: Path, manifest: Manifest, data: Path) -> None:
    """Write the backup next to `target` and move it into place, so a failed backup never
    leaves a half-written file under the name a restore would use."""
    partial = target.with_name(target.name + ".partial")
    mtime = int(data.stat().st_mtime)
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
        text = manifest.to_json().encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(text), mtime, 0o600
        archive.addfile(info, io.BytesIO(text))
        with data.open("rb") as handle:
            info = tarfile.TarInfo(manifest.data_name)
            info.size, info.mtime, info.mode = data.stat().st_size, mtime, 0o600
            archive.addfile(info, handle)
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    partial.replace(target)


def read(source: Path, workdir: Path) -> tuple[Manifest, Path]:
    """The manifest and the copy, extracted into `workdir` and checked against the
    manifest's checksum. Only the two known members are read; nothing else is extracted."""
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    try:
        with tarfile.open(source, "r:") as archive:
            manifest = _extract(archive, source, workdir)
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"{source}: not a readable SalesRelay backup ({error})") from None
    data = workdir / manifest.data_name
    if data.stat().st_size != manifest.bytes or sha256_of(data) != manifest.sha256:
        raise BackupError(
            f"{source}: the copy inside does not match its checksum; the file is damaged"
        )
    return manifest, data


def _extract(archive: tarfile.TarFile, source: Path, workdir: Path) -> Manifest:
    members = {member.name: member for member in archive.getmembers() if member.isfile()}
    if MANIFEST not in members:
        raise BackupError(f"{source}: not a SalesRelay backup (no {MANIFEST} inside)")
    manifest = Manifest.from_json(archive.extractfile(members[MANIFEST]).read().decode())
    name = BACKENDS[manifest.backend]
    if name not in members:
        raise BackupError(f"{source}: the backup has no {name}; the file is incomplete")
    with archive.extractfile(members[name]) as handle, (workdir / name).open("wb") as out:
        while block := handle.read(CHUNK):
            out.write(block)
    return manifest
