"""Matching commands: train and evaluate the matcher, maintain the vector index, bulk-import fact-checks."""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import click

from factcheck.commands._common import _Runtime, _table, embeddings, eval_group, main, pass_runtime, train
from factcheck.config import REPO_ROOT

CLEF = REPO_ROOT.parent / "shared" / "data" / "clef2020-t2-claim-retrieval"
CLIMATE_FEVER = REPO_ROOT.parent / "shared" / "data" / "climate-fever" / "climate-fever.dev.jsonl"
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
@click.option("--with-decisions", is_flag=True,
              help="Also learn from the checkers' confirmed and rejected matches stored in the database.")
@pass_runtime
def train_matcher(runtime: _Runtime, collection: str, queries: str, qrels: str, seed: int, out: str | None,
                  with_decisions: bool) -> None:
    """Train the hybrid re-ranker on CheckThat! training files (reproduces the shipped parameters).

    With --with-decisions, the newsroom's own decisions (each confirmed or rejected fact-check
    match, with the features it had when decided) are added to the public training pairs.
    """
    from factcheck.matching import clef
    from factcheck.services import evaluation

    extra = None
    if with_decisions:
        from factcheck.services.matching import decided_pairs

        with runtime.session() as session:
            extra = decided_pairs(session)
        click.echo(f"Adding {len(extra[1])} decisions of this newsroom's checkers "
                   f"({int(extra[1].sum())} confirmed, {int(len(extra[1]) - extra[1].sum())} rejected).")
    total = len(clef.read_collection(collection)) + len(clef.read_queries(queries))
    with _bar(total, "training matcher", "text") as bar:
        reranker = evaluation.train(runtime.settings, collection=collection, queries=queries, qrels=qrels,
                                    seed=seed, progress=bar.update, extra_pairs=extra)
    path = Path(out) if out else Path(str(resources.files("factcheck.data").joinpath("matcher.json")))
    evaluation.write_reranker(reranker, path)
    p = reranker.provenance
    click.echo(f"Trained {reranker.method} on {p['queries']} queries ({p['pairs']} candidate pairs, "
               f"{p['positives']} relevant); wrote {path}")


@train.command("calibration")
@click.option("--collection", type=_FILE, default=str(CLEF / "verified_claims.docs.tsv"), show_default=True)
@click.option("--fit-queries", type=_FILE, default=str(CLEF / "train" / "tweets.queries.tsv"), show_default=True,
              help="Queries the calibration and default thresholds are fitted on.")
@click.option("--fit-qrels", type=_FILE, default=str(CLEF / "train" / "tweet-vclaim-pairs.qrels"), show_default=True)
@click.option("--measure-queries", type=_FILE, default=str(CLEF / "dev" / "tweets.queries.tsv"), show_default=True,
              help="Queries the shipped hit rates and false-suggestion rates are measured on.")
@click.option("--measure-qrels", type=_FILE, default=str(CLEF / "dev" / "tweet-vclaim-pairs.qrels"), show_default=True)
@click.option("--climate-fever", "climate_fever_path", type=_FILE, default=str(CLIMATE_FEVER), show_default=True,
              help="Passage calibration data (cross-validated by claim).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Where to write it [default: the package's factcheck/data/calibration.json].")
@click.option("--same-claim/--no-same-claim", default=False, show_default=True,
              help="Fine-tune the same-claim classifier (about 31 minutes on 2 cores) and fit the second verifier "
                   "with it (measured, not shipped: see the README); without it, the verifier alone decides, "
                   "as in the shipped file.")
@click.option("--same-claim-adapter", type=click.Path(exists=True, file_okay=False), default=None,
              help="With --same-claim: use this adapter instead of fine-tuning one (e.g. the bundled "
                   "factcheck/data/same_claim_v1: refits the verifiers in a few minutes).")
@click.option("--same-claim-out", type=click.Path(file_okay=False), default=None,
              help="Where to write the fine-tuned adapter [default: the package's factcheck/data/same_claim_v1].")
@pass_runtime
def train_calibration(runtime: _Runtime, collection: str, fit_queries: str, fit_qrels: str, measure_queries: str,
                      measure_qrels: str, climate_fever_path: str, out: str | None, same_claim: bool,
                      same_claim_adapter: str | None, same_claim_out: str | None) -> None:
    """Fit the calibrated probabilities and default thresholds (reproduces factcheck/data/calibration.json).

    With --same-claim, the classifier learns on three quarters of the fitting queries; the second verifier and
    the default thresholds are fitted on the other quarter. A fine-tuned adapter is written to --same-claim-out;
    the calibration file records its SHA-256, and the app refuses an adapter that differs.
    """
    from factcheck.matching import clef
    from factcheck.services import evaluation

    total = len(clef.read_collection(collection)) + 2 * (len(clef.read_qrels(fit_qrels))
                                                         + len(clef.read_qrels(measure_qrels)))
    with _bar(total, "calibrating", "text") as bar:
        document = evaluation.fit_calibration(
            runtime.settings, collection=collection, fit_queries=fit_queries, fit_qrels=fit_qrels,
            measure_queries=measure_queries, measure_qrels=measure_qrels, climate_fever_path=climate_fever_path,
            progress=bar.update, with_same_claim=same_claim or bool(same_claim_adapter),
            same_claim_adapter=same_claim_adapter,
            same_claim_out=same_claim_out)
    path = Path(out) if out else Path(str(resources.files("factcheck.data").joinpath("calibration.json")))
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    for kind, item in document["libraries"].items():
        click.echo(f"{kind}: suggest at {item['suggest']:.2f}, same claim at {item['same_claim']:.2f} "
                   f"(Platt a={item['platt']['a']:.3f} b={item['platt']['b']:.3f}, {item['pairs']} pairs)")
    click.echo(f"Wrote {path}")


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
@click.option("--remove-gold", is_flag=True,
              help="Also search every query with its relevant documents removed from the collection (any "
                   "suggestion then shown is false) and report abstain_rate.")
@click.option("--json", "as_json", is_flag=True, help="Also print the figures as one JSON object on the last line.")
@pass_runtime
def eval_match(runtime: _Runtime, collection: str, queries: str, qrels: str, model: str | None,
               remove_gold: bool, as_json: bool) -> None:
    """Score matching on benchmark files: the full method and each leg alone, in a temporary store."""
    from factcheck.matching import clef
    from factcheck.services import evaluation

    total = len(clef.read_collection(collection)) + len(clef.read_qrels(qrels)) * (2 if remove_gold else 1)
    with _bar(total, "evaluating", "text") as bar:
        result = evaluation.evaluate(runtime.settings, collection=collection, queries=queries, qrels=qrels,
                                     model=model, remove_gold=remove_gold, progress=bar.update)
    rows = [(name, *(f"{figures[m]:.4f}" for m in clef.CUTOFFS))
            for name, figures in ((result["method"], result), ("bm25", result["bm25"]), ("dense", result["dense"]))]
    click.echo(f"{result['queries']} queries against {result['documents']} documents, "
               f"model {result['embedding_model']}")
    click.echo(_table(("method", *clef.CUTOFFS), rows))
    if "shown_recall" in result:
        click.echo(f"Under the default thresholds (suggest at {result['suggest_threshold']:.0%}, top "
                   f"{runtime.settings.match_top_k}): shown_recall {result['shown_recall']:.4f} "
                   f"({result['shown_per_query']:.2f} suggestions shown per query)")
    if "open_set" in result:
        figures = result["open_set"]
        click.echo(f"Gold removed: abstain_rate {figures['abstain_rate']:.4f} (false_suggestion_rate "
                   f"{figures['false_suggestion_rate']:.4f}, {figures['false_per_query']:.2f} false suggestions "
                   "per query)")
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
