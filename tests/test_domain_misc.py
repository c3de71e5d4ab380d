"""Small pure domain modules: rating scales, permissions and source passages."""
from __future__ import annotations

import re

import pytest

from factcheck.config import DEFAULT_RATING_SCALE
from factcheck.domain.extraction import split_sentences
from factcheck.domain.passages import MAX_PASSAGE_WORDS, split_passages
from factcheck.domain.permissions import PERMISSIONS, ROLES, Role, has_permission, parse_role
from factcheck.domain.ratings import Rating, RatingScale, parse_rating_scale

# --- ratings ---------------------------------------------------------------------------


def test_default_scale():
    scale = parse_rating_scale(DEFAULT_RATING_SCALE)
    assert isinstance(scale, RatingScale)
    assert scale.names() == ["False", "Mostly false", "Mixed", "Mostly true", "True"]
    assert [r.value for r in scale.ratings] == [1, 2, 3, 4, 5]
    assert (scale.worst, scale.best) == (1, 5)


def test_scale_is_ordered_worst_first_whatever_the_input_order():
    scale = parse_rating_scale("True:10, Half true:5 ,Pants on fire:-2,False:0")
    assert scale.names() == ["Pants on fire", "False", "Half true", "True"]
    assert [r.value for r in scale.ratings] == [-2, 0, 5, 10]
    assert scale.worst == -2
    assert scale.best == 10


def test_blank_entries_and_spaces_are_ignored():
    scale = parse_rating_scale(" False : 1 ,, True:2 ,")
    assert scale.ratings == (Rating("False", 1), Rating("True", 2))


def test_name_may_contain_a_colon():
    scale = parse_rating_scale("Ratio 1:2 wrong:1,Right:2")
    assert scale.names() == ["Ratio 1:2 wrong", "Right"]


def test_get_is_case_and_space_insensitive():
    scale = parse_rating_scale(DEFAULT_RATING_SCALE)
    assert scale.get("mostly FALSE") == Rating("Mostly false", 2)
    assert scale.get("  true ") == Rating("True", 5)
    assert scale.get("TRUE") == Rating("True", 5)
    assert scale.get("Pants on fire") is None
    assert scale.get("") is None


@pytest.mark.parametrize("spec,reason", [
    ("", "at least two"),
    ("False:1", "at least two"),
    (" , ,", "at least two"),
    ("False:1,false:2", "duplicate"),
    ("True:1,Mixed:2, TRUE :3", "duplicate"),
    ("False:one,True:2", "non-integer"),
    ("False:1.5,True:2", "non-integer"),
    ("False:,True:2", "non-integer"),
    ("False,True:2", "Name:number"),
    (":1,True:2", "Name:number"),
    ("   :1,True:2", "Name:number"),
])
def test_invalid_scales_are_refused_with_a_reason(spec, reason):
    with pytest.raises(ValueError) as info:
        parse_rating_scale(spec)
    assert reason.lower() in str(info.value).lower()


# --- permissions --------------------------------------------------------------------------

#: Written out by hand: what each role may do.
MATRIX = {
    "checker": {"claims.view", "claims.work", "articles.create", "library.edit"},
    "editor": {"claims.view", "claims.work", "articles.create", "library.edit",
               "claims.review", "claims.assign", "claims.reopen", "claims.close", "dashboard.view"},
    "admin": {"claims.view", "claims.work", "articles.create", "library.edit",
              "claims.review", "claims.assign", "claims.reopen", "claims.close", "dashboard.view", "users.manage",
              "indexes.rebuild"},
}


def test_the_matrix_covers_every_permission():
    assert set(PERMISSIONS) == MATRIX["admin"]
    assert ROLES == ["checker", "editor", "admin"]


@pytest.mark.parametrize("role", ["checker", "editor", "admin"])
@pytest.mark.parametrize("permission", sorted(MATRIX["admin"]))
def test_permission_matrix(role, permission):
    expected = permission in MATRIX[role]
    assert has_permission(role, permission) is expected
    assert has_permission(Role(role), permission) is expected


@pytest.mark.parametrize("role", ["checker", "editor", "admin"])
@pytest.mark.parametrize("permission", ["claims.delete", "", "users", "CLAIMS.VIEW", "claims.view "])
def test_unknown_permissions_are_denied(role, permission):
    assert has_permission(role, permission) is False


@pytest.mark.parametrize("role", ["intern", "", "Admin", "EDITOR", None, "superuser"])
def test_unknown_roles_have_no_permissions(role):
    for permission in PERMISSIONS:
        assert has_permission(role, permission) is False


def test_parse_role():
    assert parse_role("editor") is Role.EDITOR
    with pytest.raises(ValueError) as info:
        parse_role("boss")
    assert "checker, editor, admin" in str(info.value)


# --- passages --------------------------------------------------------------------------

def _sentence(i: int, words: int = 15) -> str:
    filler = " ".join(f"w{i}x{j}" for j in range(words - 4))
    return f"Statement {i} says {filler} today."


def _check_spans(text, passages):
    for p in passages:
        assert text[p.start:p.end] == p.text
        assert p.text == p.text.strip() and p.text
    starts = [p.start for p in passages]
    assert starts == sorted(starts)
    for a, b in zip(passages, passages[1:]):
        assert a.end <= b.start, "passages overlap"
        # Nothing but whitespace is left out between passages.
        assert text[a.end:b.start].strip() == ""


def test_paragraphs_become_passages_with_exact_spans():
    text = ("  First paragraph, with leading spaces.\n\n"
            "Second paragraph\nwraps onto a second line.\n   \n\t\n"
            "Third paragraph after blank lines holding whitespace.\r\n\r\n"
            "Fourth.  \n")
    passages = split_passages(text)
    assert [p.text for p in passages] == [
        "First paragraph, with leading spaces.",
        "Second paragraph\nwraps onto a second line.",
        "Third paragraph after blank lines holding whitespace.",
        "Fourth.",
    ]
    _check_spans(text, passages)
    # Everything that is not whitespace is in some passage.
    assert "".join(text.split()) == "".join("".join(p.text.split()) for p in passages)


@pytest.mark.parametrize("text", ["", "   ", "\n\n \n"])
def test_blank_text_has_no_passages(text):
    assert split_passages(text) == []


def test_long_paragraph_is_cut_at_sentence_boundaries():
    sentences = [_sentence(i) for i in range(1, 21)]  # 20 x 15 = 300 words
    paragraph = " ".join(sentences)
    text = "Short opening paragraph.\n\n" + paragraph + "\n\nShort closing paragraph."
    assert len(paragraph.split()) > MAX_PASSAGE_WORDS
    passages = split_passages(text)
    _check_spans(text, passages)
    assert passages[0].text == "Short opening paragraph."
    assert passages[-1].text == "Short closing paragraph."
    middle = passages[1:-1]
    assert len(middle) >= 3  # 300 words need at least three passages of <= 120
    for p in middle:
        assert len(p.text.split()) <= MAX_PASSAGE_WORDS
        # Each passage starts and ends on a sentence boundary.
        assert re.match(r"Statement \d+ says", p.text)
        assert p.text.endswith("today.")
    # Together they are the paragraph, sentence by sentence, in order.
    assert " ".join(p.text for p in middle) == paragraph
    assert middle[0].start == text.index(paragraph)
    assert middle[-1].end == text.index(paragraph) + len(paragraph)
    # Passages are filled greedily: adding the next sentence would exceed the limit.
    for p, nxt in zip(middle, middle[1:]):
        first_of_next = re.match(r"Statement \d+ says .*? today\.", nxt.text).group(0)
        assert len(p.text.split()) + len(first_of_next.split()) > MAX_PASSAGE_WORDS


def test_paragraph_of_exactly_the_limit_is_kept_whole():
    paragraph = " ".join(_sentence(i, words=12) for i in range(10))  # 120 words
    assert len(paragraph.split()) == MAX_PASSAGE_WORDS
    assert [p.text for p in split_passages(paragraph)] == [paragraph]


def test_a_single_overlong_sentence_is_its_own_passage():
    giant = "The report lists " + ", ".join(f"item{i}" for i in range(200)) + " in one sentence."
    before = " ".join(_sentence(i, words=20) for i in range(3))
    after = " ".join(_sentence(i, words=20) for i in range(3, 6))
    text = f"{before} {giant} {after}"
    passages = split_passages(text)
    _check_spans(text, passages)
    assert giant in [p.text for p in passages]
    for p in passages:
        if p.text != giant:
            assert len(p.text.split()) <= MAX_PASSAGE_WORDS
    assert " ".join(p.text for p in passages) == text


@pytest.mark.parametrize("max_words", [5, 20, 37, 60])
def test_custom_word_limit(max_words):
    text = "\n\n".join(" ".join(_sentence(10 * k + i, words=10) for i in range(7)) for k in range(3))
    passages = split_passages(text, max_words=max_words)
    _check_spans(text, passages)
    for p in passages:
        sentences = re.findall(r"Statement \d+ says .*? today\.", p.text)
        assert sentences and " ".join(sentences) == p.text
        assert len(p.text.split()) <= max_words or len(sentences) == 1


def test_demo_sources_split_into_exact_spans():
    import json
    from importlib import resources

    data = json.loads(resources.files("factcheck.data").joinpath("demo_library.json").read_text("utf-8"))
    for source in data["sources"]:
        passages = split_passages(source["text"])
        assert passages
        _check_spans(source["text"], passages)
        for p in passages:
            assert len(p.text.split()) <= MAX_PASSAGE_WORDS or len(split_sentences(p.text)) == 1
