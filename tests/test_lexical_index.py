"""The BM25 leg saved to and loaded from the instance folder, so a new process does not re-tokenise."""
from __future__ import annotations

import numpy as np
import pytest
from sqlmodel import delete

from factcheck.matching.lexical import Bm25Index, LexicalIndex
from factcheck.models import Embedding

TEXTS = {
    1: "The Westport ferry was cancelled for all of December.",
    2: "Unemployment fell to 3.9 percent in March, the lowest in a decade.",
    3: "Measles cases rose sharply in Kelby after vaccination rates dropped.",
    4: "The mayor of Westport said the new bridge cost 40 million euros.",
    5: "Vaccination rates for measles are above 95 percent nationally.",
}
QUERIES = ["Westport ferry cancelled", "measles vaccination rates", "unemployment percent March",
           "bridge cost million", "nothing in common here"]


def _all_results(index: Bm25Index) -> list:
    return [index.search(q, 10) for q in QUERIES]


def test_saved_index_gives_the_same_results(tmp_path):
    index = Bm25Index()
    index.add([10, 20, 30], [1, 2, 3], [TEXTS[1], TEXTS[2], TEXTS[3]])
    index._merge()
    index.add([40, 50], [4, 5], [TEXTS[4], TEXTS[5]])  # left in the delta postings
    index.remove([20])
    path = tmp_path / "bm25.npz"
    index.save(path)
    loaded = Bm25Index.load(path)
    assert len(loaded) == len(index) == 4
    assert loaded.max_key == 50
    assert _all_results(loaded) == _all_results(index)
    assert all(object_id != 2 for object_id, _ in loaded.search("unemployment percent March", 10))
    loaded.add([60], [6], ["A Westport ferry sank."])
    assert loaded.search("ferry sank", 1)[0][0] == 6
    with pytest.raises(ValueError):
        loaded.add([55], [7], ["keys must keep increasing after a load"])


def test_empty_index_round_trips(tmp_path):
    Bm25Index().save(tmp_path / "empty.npz")
    loaded = Bm25Index.load(tmp_path / "empty.npz")
    assert len(loaded) == 0 and loaded.search("anything", 5) == []


def _add_rows(session, object_ids: list[int]) -> None:
    for object_id in object_ids:
        session.add(Embedding(kind="fact_check", object_id=object_id, model_id="test-model", variant="fp32", dim=3,
                              vector=np.array([1.0, 0.0, 0.0], dtype=np.float32)))
    session.commit()


class _CountingTexts:
    """The services' text lookup, recording which objects a process had to tokenise."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    def __call__(self, session, object_ids):
        self.asked.extend(object_ids)
        return {i: TEXTS[i] for i in object_ids if i in TEXTS}


def _search(index: LexicalIndex, session, texts, query: str):
    session.rollback()  # a new unit of work, as a new request would be
    return index.search(session, kind="fact_check", model_id="test-model", variant="fp32", text=query, k=10,
                        texts=texts)


def test_next_process_loads_the_saved_index_and_reads_only_new_rows(session, tmp_path, monkeypatch):
    monkeypatch.setattr(LexicalIndex, "SAVE_EVERY", 3)
    _add_rows(session, [1, 2, 3])
    first, first_texts = LexicalIndex(tmp_path), _CountingTexts()
    assert _search(first, session, first_texts, "Westport ferry")[0][0] == 1
    assert sorted(first_texts.asked) == [1, 2, 3]
    assert list(tmp_path.glob("bm25-fact_check-fp32-*.npz"))

    _add_rows(session, [4, 5])
    session.exec(delete(Embedding).where(Embedding.object_id == 1))  # logged as a tombstone by a trigger
    session.commit()

    second, second_texts = LexicalIndex(tmp_path), _CountingTexts()  # a new process
    found = _search(second, session, second_texts, "Westport")
    assert sorted(second_texts.asked) == [4, 5]  # 1-3 came from the file
    assert [object_id for object_id, _ in found] == [4]  # 1 was deleted after the save
    assert _search(second, session, second_texts, "measles")[0][0] in {3, 5}


def test_damaged_file_is_rebuilt_not_fatal(session, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(LexicalIndex, "SAVE_EVERY", 1)
    _add_rows(session, [1, 2, 3])
    _search(LexicalIndex(tmp_path), session, _CountingTexts(), "ferry")
    [saved] = tmp_path.glob("bm25-*.npz")
    saved.write_bytes(b"not a numpy file")
    texts = _CountingTexts()
    found = _search(LexicalIndex(tmp_path), session, texts, "Westport ferry")
    assert found[0][0] == 1
    assert sorted(texts.asked) == [1, 2, 3]
    assert "will be rebuilt" in caplog.text


def test_without_a_folder_nothing_is_written(session, tmp_path, monkeypatch):
    monkeypatch.setattr(LexicalIndex, "SAVE_EVERY", 1)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    _add_rows(session, [1, 2])
    assert _search(LexicalIndex(), session, _CountingTexts(), "ferry")[0][0] == 1
    assert list(workdir.iterdir()) == []
    assert not list(tmp_path.rglob("bm25-*"))
