"""``factcheck train coref`` and ``factcheck eval coref``: the pronoun resolver on GAP."""
from __future__ import annotations

import json
import os
from pathlib import Path

import click

from factcheck.commands._common import _table, eval_group, train
from factcheck.config import REPO_ROOT

DEFAULT_GAP_DIR = REPO_ROOT.parent / "shared" / "data" / "gap-coreference"


def _bar(total: int, description: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="row")


def _print_scores(title: str, scores: dict) -> None:
    click.echo(f"{title} ({scores['rows']} rows, {2 * scores['rows']} decisions):")
    rows = [(name, f"{scores[name]['precision']:.4f}", f"{scores[name]['recall']:.4f}", f"{scores[name]['f1']:.4f}")
            for name in ("overall", "masculine", "feminine")]
    click.echo(_table(("pronouns", "precision", "recall", "F1"), rows))
    bias = scores.get("bias")
    click.echo(f"bias (F1 feminine / F1 masculine): {bias:.4f}" if bias is not None else "bias: undefined")


@train.command("coref")
@click.option("--gap-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=DEFAULT_GAP_DIR,
              show_default=True, help="Folder holding gap-development.tsv and gap-validation.tsv.")
@click.option("--heldout-output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("instance") / "gap-development-heldout.tsv", show_default=True,
              help="Where to write the development rows kept out of training, for 'factcheck eval coref'.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the parameters [default: the shipped factcheck/data/coref.json].")
@click.option("--feature-cache", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="An .npz path prefix caching the GAP features between runs (created if missing).")
def train_coref(gap_dir: Path, heldout_output: Path, output: Path | None, feature_cache: Path | None) -> None:
    """Train the pronoun resolver: development rows 1-1500 train it, GAP
    validation chooses its threshold, development rows 1501-2000 are held out."""
    from factcheck.coref.model import MODEL_PATH
    from factcheck.coref.training import TRAIN_ROWS, train_resolver

    development, validation = gap_dir / "gap-development.tsv", gap_dir / "gap-validation.tsv"
    for path in (development, validation):
        if not path.exists():
            raise click.ClickException(f"{path} is missing (see ../shared/data/gap-coreference/README.md).")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    total = sum(1 for _ in development.open(encoding="utf-8")) - 1 + sum(1 for _ in validation.open(encoding="utf-8")) - 1
    with _bar(total, "parsing GAP") as bar:
        model, metrics = train_resolver(development, validation, heldout_output, progress=bar.update,
                                        command="factcheck train coref", feature_cache=feature_cache)
    output = output or MODEL_PATH
    model.save(output)
    click.echo(f"Wrote {output} (trained on development rows 1-{TRAIN_ROWS}; threshold {model.threshold:.2f} "
               f"chosen on {validation.name}); held-out rows written to {heldout_output}")
    for name, scores in metrics.items():
        _print_scores(name, scores)


@eval_group.command("coref")
@click.option("--format", "format_name", required=True, type=click.Choice(["gap"]),
              help="gap: a GAP TSV file (ID, Text, Pronoun, offsets, A/B with their TRUE/FALSE labels).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the measures as one JSON object on the last line.")
def eval_coref(format_name: str, file: Path, as_json: bool) -> None:
    """Score the shipped pronoun resolver on FILE as GAP's scorer does:
    precision, recall and F1 of the TRUE decisions, overall and by gender, and
    bias (F1 feminine / F1 masculine). An abstention counts as FALSE.
    Refuses files (or rows) the resolver was trained or tuned on."""
    from factcheck.coref.model import shipped_coref_model
    from factcheck.coref.training import NotHeldOut, evaluate_gap

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    model = shipped_coref_model()
    try:
        total = sum(1 for _ in file.open(encoding="utf-8")) - 1
        with _bar(total, "resolving") as bar:
            scores = evaluate_gap(model, file, progress=bar.update)
    except (NotHeldOut, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    _print_scores(f"{file.name}, threshold {scores['threshold']:.2f}", scores)
    if as_json:
        click.echo(json.dumps(scores))
