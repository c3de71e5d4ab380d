"""``factcheck train checkworthiness`` and ``factcheck eval checkworthiness``."""
from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import click

from factcheck.commands._common import _table, eval_group, pass_runtime, train
from factcheck.config import REPO_ROOT

#: The benchmark files, as laid out beside the repository (see shared/data/*/README.md).
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"


def _progress_bar(items, **options):
    from tqdm import tqdm

    return tqdm(items, **options)


def _reproducing_command(holdout_last_debates: int, claimbuster_folds: int, data_dir: Path) -> str:
    """The command that reproduces a run, for its provenance (output and cache
    paths do not change the result, so they are left out)."""
    words = ["factcheck", "train", "checkworthiness", "--holdout-last-debates", str(holdout_last_debates),
             "--claimbuster-folds", str(claimbuster_folds)]
    if data_dir != DEFAULT_DATA_DIR:
        words += ["--data-dir", str(data_dir)]
    return shlex.join(words)


@train.command("checkworthiness")
@click.option("--data-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=DEFAULT_DATA_DIR,
              show_default=True, help="Folder holding claimbuster/ and the two clef2020-* folders.")
@click.option("--holdout-last-debates", type=click.IntRange(min=0), default=10, show_default=True,
              help="Keep the chronologically last task 5 debates out of training and report on them.")
@click.option("--claimbuster-folds", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also report ClaimBuster K-fold cross-validation (0: skip; 4 for the published figures).")
@click.option("--embedding-cache", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="An .npz file caching the sentence vectors between runs (created if missing).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the parameters [default: the shipped factcheck/data/checkworthiness_v2.json].")
@pass_runtime
def train_checkworthiness(runtime, data_dir: Path, holdout_last_debates: int, claimbuster_folds: int,
                          embedding_cache: Path | None, output: Path | None) -> None:
    """Train the check-worthiness model on the public benchmark files.

    The task 1 dev file is never trained on; the provenance (files and hashes,
    date, metrics, this command) is written with the parameters.
    """
    from factcheck.checkworthiness.model import SHIPPED_PARAMETERS
    from factcheck.checkworthiness.training import (
        TrainingConfig,
        cached_encoder,
        data_files,
    )
    from factcheck.checkworthiness.training import train as train_model
    from factcheck.matching.embedder import get_embedder, model_id_for

    try:
        files = data_files(data_dir)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    settings = runtime.settings
    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    output = output or SHIPPED_PARAMETERS
    config = TrainingConfig(holdout_last_debates=holdout_last_debates, claimbuster_folds=claimbuster_folds,
                            command=_reproducing_command(holdout_last_debates, claimbuster_folds, data_dir))
    embedding_model = model_id_for(settings.embedding_model)

    def encode(texts: list[str]):
        return embedder.encode(texts, show_progress=True)

    if embedding_cache:
        encode = cached_encoder(encode, embedding_cache, embedding_model)
    click.echo(f"Embedding the training and dev sentences with {embedding_model}...")
    parameters = train_model(files, encode=encode, embedding_model=embedding_model, config=config,
                             progress=_progress_bar)
    output.write_text(json.dumps(parameters, indent=1) + "\n", encoding="utf-8")
    click.echo(f"Wrote {output}")
    for name, values in parameters["provenance"]["metrics"].items():
        click.echo(f"\n{name}:")
        click.echo(_table(("metric", "value"), [(key, f"{value:.4f}") for key, value in values.items()]))


@eval_group.command("checkworthiness")
@click.option("--format", "format_name", required=True, type=click.Choice(["clef-debates", "clef-tweets", "claimbuster"]),
              help="clef-debates: task 5 TSVs, one document each; clef-tweets: one task 1 TSV; "
                   "claimbuster: a JSON list of {sentence_id, label, text}.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the measures as one JSON object on the last line.")
@pass_runtime
def eval_checkworthiness(runtime, format_name: str, files: tuple[Path, ...], as_json: bool) -> None:
    """Measure the shipped check-worthiness model on benchmark FILES.

    Refuses files the model was trained on (matched by content hash).
    """
    from factcheck.checkworthiness.embedding import embedder_for_model
    from factcheck.checkworthiness.evaluation import (
        METRICS,
        TrainedOnEvaluationData,
        evaluate,
    )
    from factcheck.checkworthiness.model import shipped_model

    if format_name == "clef-tweets" and len(files) != 1:
        raise click.UsageError("clef-tweets takes exactly one file (the tweets are ranked together).")
    # Loading the model is quick; a progress bar for it would clutter the table.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    model = shipped_model()
    settings = runtime.settings
    embedder = embedder_for_model(model, settings.embedding_model, settings.embedding_batch_size)
    try:
        metrics = evaluate(format_name, list(files), model=model, encode=embedder.encode)
    except TrainedOnEvaluationData as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{format_name}, {len(files)} file{'s' if len(files) != 1 else ''}:")
    click.echo(_table(("metric", "value"), [(key, f"{metrics[key]:.4f}") for key in METRICS[format_name]]))
    if as_json:
        click.echo(json.dumps({key: round(metrics[key], 6) for key in METRICS[format_name]}))
