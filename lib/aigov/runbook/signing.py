"""Signed manifests and the chain checkpoint: what a hash chain alone cannot prove.

The hash chain (record.py) catches an accidental change or a partial edit, but anyone
who can write every file can recompute every hash ("re-seal"), and deleting the newest
runs leaves a shorter chain that still verifies. Two additions close that
(docs/contracts/run-records.md):

- **Signatures.** With a signing key (the profile's ``signing_key:`` or
  ``AIGOV_SIGNING_KEY``), ``aigov run`` signs each manifest with OpenSSH's
  ``ssh-keygen -Y sign`` under the namespace ``aigov-record`` into ``manifest.json.sig``.
  An auditor checks it without aigov: ``ssh-keygen -Y verify -f allowed_signers -I
  <principal> -n aigov-record -s manifest.json.sig < manifest.json``. A re-sealed
  manifest no longer matches its signature, and the key is not in the record.
- **Checkpoint.** With ``--checkpoint FILE`` (or ``AIGOV_CHECKPOINT``), a file kept
  outside ``outputs/``, ``aigov run`` writes the chain's head there (run id and manifest
  sha256); ``aigov verify`` refuses a chain whose head is older than the checkpoint or
  whose checkpointed manifest differs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from aigov.errors import UsageError
from aigov.paths import write_atomic
from aigov.runbook.files import MANIFEST, SIGNATURE

NAMESPACE = "aigov-record"
SIGNING_KEY_ENV = "AIGOV_SIGNING_KEY"
CHECKPOINT_ENV = "AIGOV_CHECKPOINT"
_FIX_SSH = "install OpenSSH's client (Debian: apt-get install openssh-client)"


def ssh_keygen() -> str:
    exe = shutil.which("ssh-keygen")
    if not exe:
        raise UsageError("signed records need ssh-keygen, which is not on PATH", fix=_FIX_SSH)
    return exe


def signing_key(profile_key: str | None) -> Path | None:
    """The key to sign with: ``AIGOV_SIGNING_KEY``, else the profile's ``signing_key``."""
    from aigov.paths import resolve

    value = os.environ.get(SIGNING_KEY_ENV) or profile_key
    if not value:
        return None
    path = resolve(value)
    if not path.is_file():
        raise UsageError(f"signing key {path} does not exist", location="signing_key",
                         fix=f"create one (ssh-keygen -t ed25519 -f {path}) or unset "
                         f"{SIGNING_KEY_ENV}")
    return path


def sign_manifest(run_dir: Path, key: Path) -> Path:
    """Sign ``run_dir/manifest.json`` into ``manifest.json.sig`` (replaced atomically)."""
    data = (run_dir / MANIFEST).read_bytes()
    proc = subprocess.run([ssh_keygen(), "-Y", "sign", "-q", "-f", str(key), "-n", NAMESPACE],
                          input=data, capture_output=True, timeout=60)
    if proc.returncode != 0 or not proc.stdout:
        raise UsageError(f"ssh-keygen could not sign with {key}: "
                         f"{proc.stderr.decode('utf-8', 'replace').strip()}",
                         location="signing_key",
                         fix="use an unencrypted OpenSSH private key readable only by you "
                         "(chmod 600), or a public key whose private half is in ssh-agent")
    write_atomic(run_dir / SIGNATURE, proc.stdout)
    return run_dir / SIGNATURE


def check_signature(run_dir: Path, allowed_signers: Path) -> tuple[bool, str]:
    """``(ok, what)``: who signed the manifest, or why it is not verified."""
    sig = run_dir / SIGNATURE
    if sig.is_symlink() or not sig.is_file():
        return False, "unsigned (no manifest.json.sig): nothing proves who sealed it"
    exe = ssh_keygen()
    found = subprocess.run([exe, "-Y", "find-principals", "-s", str(sig),
                            "-f", str(allowed_signers)], capture_output=True, text=True,
                           timeout=60)
    principals = found.stdout.split()
    if found.returncode != 0 or not principals:
        return False, "signed by a key that is not in the allowed signers"
    data = (run_dir / MANIFEST).read_bytes()
    for principal in principals:
        proc = subprocess.run([exe, "-Y", "verify", "-f", str(allowed_signers),
                               "-I", principal, "-n", NAMESPACE, "-s", str(sig)],
                              input=data, capture_output=True, timeout=60)
        if proc.returncode == 0:
            return True, f"signed by {principal}"
    return False, "the signature does not match the manifest (changed or re-sealed)"


def checkpoint_path(given: str | None) -> Path | None:
    """``--checkpoint FILE`` or ``AIGOV_CHECKPOINT``; refused inside ``outputs/``, where
    whoever can rewrite the records could rewrite it too."""
    from aigov.paths import outputs_dir, resolve

    value = given or os.environ.get(CHECKPOINT_ENV)
    if not value:
        return None
    path = resolve(value)
    if path.resolve().is_relative_to(outputs_dir()):
        raise UsageError(f"the checkpoint {path} is inside {outputs_dir()}",
                         location="--checkpoint",
                         fix="keep it where the records' writers cannot write (another disk, "
                         "a write-once share), outside outputs/")
    return path


def write_checkpoint(path: Path, run_dir: Path, manifest_sha256: str) -> None:
    """Record ``run_dir`` as the chain's head (written atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps({"run_id": run_dir.name,
                                   "manifest_sha256": manifest_sha256}, indent=2) + "\n")


def read_checkpoint(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the checkpoint: {exc}", file=str(path),
                         fix="give the file aigov run wrote with --checkpoint") from None
    if not (isinstance(data, dict) and isinstance(data.get("run_id"), str)
            and isinstance(data.get("manifest_sha256"), str)):
        raise UsageError("not a checkpoint (needs run_id and manifest_sha256)", file=str(path),
                         fix="give the file aigov run wrote with --checkpoint")
    return data
