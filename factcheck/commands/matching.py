"""Matching commands: train and evaluate the matcher, maintain the vector index, bulk-import fact-checks."""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import click

from factcheck.commands._common import _Runtime, _table, embeddings, eval_group, main, pass_runtime, train
from factcheck.config import REPO_ROOT

CLEF = REPO_ROOT.parent / "shared" / "data" / "clef2020-t2-claim-retrieval"
_FILE = click.Path(exists=True, dir_okay=False)


def _bar(total: int, desc: str, unit: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit)


@train.command("matcher")
@click.option("--collection", type=_FILE, default=str(CLEF / "verified_claims.docs.tsv"), show_default=True)
@click.option("--queries", type=_FILE, default=str(CLEF / "train" / "tweets.queries.tsv"), show_default=True)
@click.option("--qrels", type=_FILE, default=str(CLEF / "train" / "tweet-vclaim-pairs.qrels"), show_default=True)
@click.option("--seed", type=int, default=20201, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Where to write the parameters [default: the package's factcheck/data/matcher.json].")
@pass_runtime
def train_matcher(runtime: _Runtime, collection: str, queries: str, qrels: str, seed: int, out: str | None) -> None:
    """Train the hybrid re-ranker on CheckThat! training files (reproduces the shipped parameters)."""
    from factcheck.matching import clef
    from factcheck.services import evaluation

    total = len(clef.read_collection(collection)) + len(clef.read_queries(queries))
    with _bar(total, "training matcher", "text") as bar:
        reranker = evaluation.train(runtime.settings, collection=collection, queries=queries, qrels=qrels,
                                   seed=seed, progress=bar.update)
    path = Path(out) if out else Path(str(resources.files("factcheck.data").joinpath("matcher.json")))
    evaluation.write_reranker(reranker, path)
    p = reranker.provenance
    click.echo(f"Trained {reranker.method} on {p['queries']} queries ({p['pairs']} candidate pairs, "
               f"{p['positives']} relevant); wrote {path}")


@train.command("embedder")
@click.option("--collection", type=_FILE, default=str(CLEF / "verified_claims.docs.tsv"), show_default=True)
@click.option("--queries", type=_FILE, default=str(CLEF / "train" / "tweets.queries.tsv"), show_default=True)
@click.option("--qrels", type=_FILE, default=str(CLEF / "train" / "tweet-vclaim-pairs.qrels"), show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the tuned model [default: <instance>/models/minilm-l6-checkthat].")
@click.option("--base", default=None, help="Model to start from [default: the bundled all-MiniLM-L6-v2].")
@click.option("--epochs", type=click.IntRange(1), default=1, show_default=True)
@click.option("--batch-size", type=click.IntRange(2), default=32, show_default=True,
              help="Pairs per step; the other pairs of a batch are each query's negatives.")
@click.option("--learning-rate", type=float, default=4e-5, show_default=True)
@click.option("--folds", type=click.IntRange(2), default=2, show_default=True,
              help="Fold models fine-tuned to give the re-ranker out-of-fold dense scores (each costs one "
                   "more encoding of the collection).")
@click.option("--seed", type=int, default=20201, show_default=True)
@pass_runtime
def train_embedder(runtime: _Runtime, collection: str, queries: str, qrels: str, out: str | None, base: str | None,
                   epochs: int, batch_size: int, learning_rate: float, folds: int, seed: int) -> None:
    """Fine-tune the embedding model on CheckThat! training pairs, with a re-ranker for it.

    Writes a sentence-transformers folder; set FACTCHECK_EMBEDDING_MODEL to it (then run
    'factcheck embeddings reindex'). The re-ranker in the folder is trained by cross-fitting:
    FOLDS extra models, each tuned without one fold, score that fold's queries.
    """
    import shutil
    import tempfile

    from factcheck.config import _default_model_path
    from factcheck.matching import clef, finetune
    from factcheck.matching.embedder import model_id_for
    from factcheck.services import evaluation

    base = base or _default_model_path()
    out_dir = Path(out) if out else Path(runtime.settings.instance_path) / "models" / "minilm-l6-checkthat"
    config = finetune.TrainConfig(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, seed=seed)
    pairs, relevant = finetune.training_pairs(collection, queries, qrels)
    if not pairs:
        raise click.ClickException("No query has a relevant document in the collection.")
    split = finetune.folds_of([p.query_id for p in pairs], folds, seed)
    if any(not fold for fold in split):
        raise click.ClickException(f"{len({p.query_id for p in pairs})} queries cannot fill {folds} folds.")
    fold_pairs = [[p for p in pairs if p.query_id not in set(fold)] for fold in split]
    work = Path(tempfile.mkdtemp(prefix="factcheck-finetune-"))
    try:
        steps = sum(finetune.steps_for(len(ps), config) for ps in [*fold_pairs, pairs])
        fold_models = []
        with _bar(steps, "fine-tuning", "step") as bar:
            for number, (fold, train_pairs) in enumerate(zip(split, fold_pairs)):
                model = finetune.finetune(base, train_pairs, relevant, config, progress=bar.update)
                model.save(str(work / f"fold-{number}"))
                fold_models.append((str(work / f"fold-{number}"), fold))
            model = finetune.finetune(base, pairs, relevant, config, progress=bar.update)
        provenance = finetune.provenance_for(base_model_id=model_id_for(base), collection=collection,
                                             queries=queries, qrels=qrels, config=config, pairs=len(pairs),
                                             folds=folds)
        provenance["arguments"] = {"base": base, "epochs": epochs, "batch_size": batch_size,
                                   "learning_rate": learning_rate, "folds": folds, "seed": seed}
        provenance = finetune.save(model, out_dir, provenance)
        total = folds * len(clef.read_collection(collection)) + len({p.query_id for p in pairs})
        with _bar(total, "training re-ranker (out-of-fold)", "text") as bar:
            reranker = evaluation.train_cross_fitted(runtime.settings, collection=collection, queries=queries,
                                                    qrels=qrels, fold_models=fold_models,
                                                    embedding_model_id=provenance["model_id"], seed=seed,
                                                    progress=bar.update)
        evaluation.write_reranker(reranker, out_dir / finetune.RERANKER_FILE)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    click.echo(f"Fine-tuned {provenance['base_model']} on {len(pairs)} pairs ({epochs} epoch(s), seed {seed}); "
               f"model id {provenance['model_id']}; wrote {out_dir}")
    click.echo(f"Use it: FACTCHECK_EMBEDDING_MODEL={out_dir.resolve()} (then 'factcheck embeddings reindex').")


@eval_group.command("match")
@click.option("--collection", type=_FILE, required=True, help="TSV: id, text, title (with a header row).")
@click.option("--queries", type=_FILE, required=True, help="TSV: id, text (with a header row).")
@click.option("--qrels", type=_FILE, required=True, help="Lines 'query_id 0 doc_id relevance'.")
@click.option("--model", type=click.Path(exists=True, file_okay=False), default=None,
              help="Embedding model folder, e.g. from 'factcheck train embedder' [default: the configured model].")
@click.option("--json", "as_json", is_flag=True, help="Also print the figures as one JSON object on the last line.")
@pass_runtime
def eval_match(runtime: _Runtime, collection: str, queries: str, qrels: str, model: str | None,
               as_json: bool) -> None:
    """Score matching on benchmark files: the full method and each leg alone, in a temporary store."""
    from factcheck.matching import clef
    from factcheck.services import evaluation

    total = len(clef.read_collection(collection)) + len(clef.read_qrels(qrels))
    with _bar(total, "evaluating", "text") as bar:
        result = evaluation.evaluate(runtime.settings, collection=collection, queries=queries, qrels=qrels,
                                    model=model, progress=bar.update)
    rows = [(name, *(f"{figures[m]:.4f}" for m in clef.CUTOFFS))
            for name, figures in ((result["method"], result), ("bm25", result["bm25"]), ("dense", result["dense"]))]
    click.echo(f"{result['queries']} queries against {result['documents']} documents, "
               f"model {result['embedding_model']}")
    click.echo(_table(("method", *clef.CUTOFFS), rows))
    if as_json:
        click.echo(json.dumps(result, sort_keys=True))


@embeddings.command("rebuild-index")
@click.option("--kind", type=click.Choice(["all", "fact_check", "passage"]), default="all", show_default=True)
@pass_runtime
def embeddings_rebuild_index(runtime: _Runtime, kind: str) -> None:
    """Build the approximate (HNSW) vector index: a saved graph on SQLite, pgvector's index on PostgreSQL."""
    from factcheck.services.matching import LIBRARIES, rebuild_index

    with runtime.session() as session:
        for name in LIBRARIES if kind == "all" else (kind,):
            click.echo(f"{name}: {rebuild_index(session, settings=runtime.settings, kind=name, show_progress=True)}")


@main.group("import")
def import_group() -> None:
    """Bulk imports into the library."""


@import_group.command("fact-checks")
@click.argument("file", type=_FILE)
@click.option("--format", "fmt", type=click.Choice(["auto", "json", "jsonl", "csv"]), default="auto",
              show_default=True, help="auto: by the file's extension and first character.")
@pass_runtime
def import_fact_checks(runtime: _Runtime, file: str, fmt: str) -> None:
    """Import earlier fact-checks: ClaimReview JSON-LD (object, list or @graph), JSON lines or CSV.

    Idempotent by URL: fact-checks already in the library are skipped. Bad rows
    are reported with their line (or position) and skipped; the rest is imported.
    """
    from factcheck.services import imports

    with runtime.session() as session, _bar(0, "importing", "fact-check") as bar:
        report = imports.import_fact_checks(session, settings=runtime.settings, path=file, fmt=fmt,
                                            progress=bar.update, set_total=lambda n: bar.reset(total=n))
    for problem in report.problems:
        click.echo(f"skipped {problem.where}: {problem.message}", err=True)
    click.echo(f"Imported {report.added} fact-checks; {report.already_present} already in the library; "
               f"{len(report.problems)} skipped as invalid.")
