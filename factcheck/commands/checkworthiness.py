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


def _reproducing_command(holdout_last_debates: int, claimbuster_folds: int, data_dir: Path,
                         wording: bool = True) -> str:
    """The command that reproduces a run, for its provenance (output and cache
    paths do not change the result, so they are left out)."""
    words = ["factcheck", "train", "checkworthiness", "--holdout-last-debates", str(holdout_last_debates),
             "--claimbuster-folds", str(claimbuster_folds)]
    if data_dir != DEFAULT_DATA_DIR:
        words += ["--data-dir", str(data_dir)]
    if not wording:
        words.append("--no-wording-classifier")
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
@click.option("--wording-classifier/--no-wording-classifier", "wording", default=True, show_default=True,
              help="Fine-tune the wording classifier (about 40 minutes on 2 cores: five fine-tunes of MiniLM) and "
                   "score prose with its logit; without it, the embedding regression of format 3.")
@pass_runtime
def train_checkworthiness(runtime, data_dir: Path, holdout_last_debates: int, claimbuster_folds: int,
                          embedding_cache: Path | None, output: Path | None, wording: bool) -> None:
    """Train the check-worthiness model on the public benchmark files.

    The task 1 dev file is never trained on; the provenance (files and hashes,
    date, metrics, this command) is written with the parameters. The wording
    classifier's adapter is written beside them, in OUTPUT's name + "_wording".
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
                            command=_reproducing_command(holdout_last_debates, claimbuster_folds, data_dir, wording),
                            wording_folder=output.parent / f"{output.stem}_wording" if wording else None)
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


@eval_group.command("articles")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--split", "only_split", type=click.Choice(["tuning", "held_out"]), default=None,
              help="Evaluate only the articles of one split (default: all, reported per split).")
@click.option("--show-misses", is_flag=True, help="Also print each article's first ten and the picked claims it missed.")
@click.option("--json", "as_json", is_flag=True, help="Print the measures as one JSON object on the last line.")
@pass_runtime
def eval_articles(runtime, directory: Path | None, only_split: str | None, show_misses: bool, as_json: bool) -> None:
    """Recall of the claims a checker would pick among each article's first ten.

    DIRECTORY holds *.toml articles (default: the project's own set in
    factcheck/data/eval/articles). Articles run through the app's extraction,
    scoring and ordering; figures are given per article and per split
    (``tuning`` articles were looked at while changing the app, ``held_out``
    ones were not).
    """
    from factcheck.checkworthiness.articles import DEFAULT_DIR, SPLITS, TOP_K, load_articles, recall_at
    from factcheck.checkworthiness.model import shipped_model
    from factcheck.domain.extraction import extract_claims
    from factcheck.services.articles import in_priority_order, score_claims

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        articles = load_articles(directory or DEFAULT_DIR)
    except (ValueError, KeyError) as exc:
        raise click.ClickException(str(exc)) from None
    articles = [article for article in articles if only_split in (None, article.split)]
    if not articles:
        raise click.ClickException(f"No {only_split} articles in {directory or DEFAULT_DIR}.")
    keep = shipped_model().keep_threshold
    rows, results = [], {}
    for article in _progress_bar(articles, desc="articles", disable=as_json):
        scored = [s for s in score_claims(extract_claims(article.text, published=article.published),
                                          settings=runtime.settings) if s.assessment.score >= keep]
        ranked = in_priority_order(scored)
        spans = [(s.candidate.start, s.candidate.end) for s in ranked]
        recall = recall_at(article, spans)
        found = round(recall * len(article.claims))
        results[article.name] = {"split": article.split, "picked": len(article.claims), "found": found,
                                 "recall": round(recall, 4)}
        rows.append((article.name, article.split, article.beat, str(len(article.claims)), str(found),
                     f"{recall:.3f}"))
        if show_misses:
            click.echo(f"\n{article.name}: first {TOP_K}")
            for s in ranked[:TOP_K]:
                click.echo(f"  {s.assessment.score:.3f} {s.candidate.claim_type:10} {s.candidate.sentence[:110]}")
            from factcheck.checkworthiness.articles import found as is_found
            for picked in article.claims:
                if not is_found(picked, spans):
                    where = next((i for i, span in enumerate(spans) if span[0] < picked[1] and span[1] > picked[0]),
                                 None)
                    click.echo(f"  MISSED (rank {where + 1 if where is not None else '-'}): "
                               f"{article.text[picked[0]:picked[1]][:110]}")
    click.echo(_table(("article", "split", "beat", "picked", f"in first {TOP_K}", "recall"), rows))
    summary = {}
    for split in SPLITS:
        chosen = [r for r in results.values() if r["split"] == split]
        if not chosen:
            continue
        summary[split] = {
            "articles": len(chosen),
            "mean_recall": round(sum(r["recall"] for r in chosen) / len(chosen), 4),
            "micro_recall": round(sum(r["found"] for r in chosen) / sum(r["picked"] for r in chosen), 4),
            "min_recall": min(r["recall"] for r in chosen),
            "articles_at_or_above_0.85": sum(r["recall"] >= 0.85 for r in chosen),
        }
    click.echo("")
    click.echo(_table(("split", "articles", "mean recall", "micro recall", "lowest", "articles ≥ 0.85"),
                      [(split, str(v["articles"]), f"{v['mean_recall']:.3f}", f"{v['micro_recall']:.3f}",
                        f"{v['min_recall']:.3f}", str(v["articles_at_or_above_0.85"])) for split, v in summary.items()]))
    if as_json:
        click.echo(json.dumps({"k": TOP_K, "splits": summary, "articles": results}))
