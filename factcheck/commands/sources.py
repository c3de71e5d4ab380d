"""Source library commands: add documents, run the job worker, train and evaluate
evidence finding, and export or import a whole instance."""
from __future__ import annotations

import json
import os
from pathlib import Path

import click

from factcheck.commands._common import _Runtime, _table, eval_group, main, pass_runtime, train
from factcheck.commands.matching import import_group
from factcheck.config import REPO_ROOT

CLIMATE_FEVER_DEV = REPO_ROOT.parent / "shared" / "data" / "climate-fever" / "climate-fever.dev.jsonl"
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _quiet_model_loading() -> None:
    # Loading the bundled model takes well under a second; its progress bar is noise.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


# ----------------------------------------------------------------- sources


@main.group("sources")
def sources_group() -> None:
    """Source documents: add them from a URL or a file."""


@sources_group.command("add-url")
@click.argument("url")
@click.option("--title", default="", help="Title (default: from the document).")
@click.option("--publisher", default="", help="Publisher (default: the site's name).")
@pass_runtime
def sources_add_url(runtime: _Runtime, url: str, title: str, publisher: str) -> None:
    """Download a web page, PDF or Word document and add it as a source (public addresses only)."""
    from factcheck.services import sources

    _quiet_model_loading()
    with runtime.session() as session:
        done = sources.ingest_url(session, settings=runtime.settings, target=sources.SOURCE, url=url,
                                  fields={"title": title, "publisher": publisher}, actor_id=None)
    click.echo(f"{done.message} (source {done.id})")


@sources_group.command("add-file")
@click.argument("path", type=_FILE)
@click.option("--title", default="", help="Title (default: from the document or the file name).")
@click.option("--publisher", default="", help="Publisher.")
@pass_runtime
def sources_add_file(runtime: _Runtime, path: Path, title: str, publisher: str) -> None:
    """Add an HTML, PDF, DOCX or text file as a source (its type is read from its content)."""
    from factcheck.services import sources

    _quiet_model_loading()
    sources.check_upload_size(runtime.settings, path.stat().st_size)
    with runtime.session() as session:
        done = sources.ingest_upload(session, settings=runtime.settings, target=sources.SOURCE, filename=path.name,
                                     data=path.read_bytes(), fields={"title": title, "publisher": publisher},
                                     actor_id=None)
    click.echo(f"{done.message} (source {done.id})")


# ------------------------------------------------------------------ worker


@main.command("worker")
@click.option("--threads", type=click.IntRange(min=1), default=2, show_default=True,
              help="Jobs this process runs at the same time.")
@pass_runtime
def worker(runtime: _Runtime, threads: int) -> None:
    """Run background jobs (URL fetches, uploads) until stopped with Ctrl+C or SIGTERM.

    For a shared broker: FACTCHECK_JOBS_BROKER=postgres (or redis with
    FACTCHECK_JOBS_BROKER_URL), and FACTCHECK_JOBS_WORKER_THREADS=0 for the web
    processes so that only workers run jobs. Start as many workers as needed.
    """
    import logging

    from factcheck.jobs import queue_for

    _quiet_model_loading()
    # Job starts, failures and their tracebacks go to stderr, where process managers collect them.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    queue = queue_for(runtime.app)
    click.echo(f"factcheck worker: {threads} thread(s) on the {runtime.settings.jobs_broker} broker (Ctrl+C to stop)")
    queue.run_worker(threads)


# ------------------------------------------------------------ train, eval


@train.command("stance")
@click.option("--data", type=_FILE, default=CLIMATE_FEVER_DEV, show_default=True,
              help="CLIMATE-FEVER JSON Lines file.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the parameters [default: the package's factcheck/data/stance.json].")
@pass_runtime
def train_stance(runtime: _Runtime, data: Path, out: Path | None) -> None:
    """Train the stance hint model with cross-validation by claim (reproduces the shipped parameters)."""
    from factcheck.services.matching import embedder_for
    from factcheck.stance import train as stance_train
    from factcheck.stance.model import bundled_path

    _quiet_model_loading()
    click.echo(f"Embedding {data.name} and cross-validating (nested, {stance_train.FOLDS} folds by claim)...")
    params = stance_train.train(data, embedder_for(runtime.settings))
    path = out or bundled_path()
    path.write_text(json.dumps(params, indent=1) + "\n", encoding="utf-8")
    cv = params["cv"]
    click.echo(_table(("measure", "value"), [
        ("pairs", params["provenance"]["pairs"]), ("claims", params["provenance"]["claims"]),
        ("CV macro-F1", f"{cv['macro_f1']:.3f}"), ("CV accuracy", f"{cv['accuracy']:.3f}"),
        *((f"CV F1 {label}", f"{value:.3f}") for label, value in cv["f1"].items()),
        ("C (whole file)", params["C"]),
    ]))
    click.echo(f"Wrote {path}")


@eval_group.command("evidence")
@click.option("--format", "format_name", required=True, type=click.Choice(["climate-fever"]))
@click.argument("file", type=_FILE)
@click.option("--k", type=click.IntRange(min=1), default=5, show_default=True, help="Cut-off of the ranking.")
@click.option("--json", "as_json", is_flag=True, help="Print the measures as one JSON object on the last line.")
@pass_runtime
def eval_evidence(runtime: _Runtime, format_name: str, file: Path, k: int, as_json: bool) -> None:
    """Rank the file's pooled evidence sentences for each claim, and score the stance hints.

    Every evidence sentence of the file goes into a scratch library; each claim
    with a SUPPORTS or REFUTES sentence is searched with the app's matching, and
    its own such sentences are the relevant ones. Stance macro-F1 is over all
    (claim, evidence) pairs, cross-validated when the shipped stance model was
    trained on this very file.
    """
    from factcheck.services.evidence_search import evaluate_climate_fever

    _quiet_model_loading()
    report = evaluate_climate_fever(file, settings=runtime.settings, k=k,
                                    progress=lambda message: click.echo(f"{message}...", err=True))
    data = report.as_dict()
    stance = "n/a" if report.stance_macro_f1 is None else f"{report.stance_macro_f1:.3f}"
    click.echo(_table(("measure", "value"), [
        ("claims ranked", f"{report.claims_ranked} of {report.claims}"),
        ("pooled evidence sentences", report.pool),
        (f"ndcg@{k}", f"{report.ndcg:.3f}"),
        (f"recall@{k}", f"{report.recall:.3f}"),
        ("ranking", ", ".join(report.methods) or "-"),
        *((f"{leg} alone: ndcg@{k} / recall@{k}", f"{ndcg:.3f} / {recall:.3f}")
          for leg, (ndcg, recall) in report.legs.items()),
        (f"stance macro-F1 ({report.stance_pairs} pairs)", stance),
        ("stance predictions", report.stance_basis),
    ]))
    if as_json:
        click.echo(json.dumps(data, sort_keys=True))


# ------------------------------------------------------- export, import


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--with-password-hashes", is_flag=True,
              help="Include users' password hashes (keep the file as secret as the database).")
@pass_runtime
def export(runtime: _Runtime, file: Path, with_password_hashes: bool) -> None:
    """Export the whole instance to a JSON file (format: see factcheck/services/portability.py)."""
    from factcheck.services.portability import export_instance

    with runtime.session() as session:
        document = export_instance(session, with_password_hashes=with_password_hashes)
    file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    if with_password_hashes:
        file.chmod(0o600)
    counts = ", ".join(f"{len(rows)} {name}" for name, rows in document["tables"].items() if rows)
    click.echo(f"Exported {counts or 'nothing'} to {file}")


@import_group.command("instance")
@click.argument("file", type=_FILE)
@pass_runtime
def import_instance(runtime: _Runtime, file: Path) -> None:
    """Import an instance export into this empty instance (one transaction), then embed it."""
    from factcheck.services.portability import import_instance as run_import

    _quiet_model_loading()
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise click.ClickException(f"{file} is not JSON: {exc}") from None
    with runtime.session() as session:
        counts = run_import(session, settings=runtime.settings, document=document,
                            progress=lambda message: click.echo(f"{message}...", err=True))
    click.echo(f"Imported {', '.join(f'{n} {name}' for name, n in counts.items() if n) or 'nothing'} from {file}")
