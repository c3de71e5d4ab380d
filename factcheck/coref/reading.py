"""Read an article with a parser and propose the rewrites that make its claims
stand alone: who "he" or "the group" is, who said a quote, which day "on
Sunday" was, and who the claimant is.

Every rewrite is a `Rewrite`: the words as written, their replacement, its
kind, a confidence, and where in the article the referent was found. Only
rewrites at or above their confidence threshold are proposed; below it the
words stay as written. Nothing here is final: the claim page shows each
rewrite as a marked change for the checker to accept or edit.

What decides what:

- speakers and claimants: the subject of a speech verb that governs the
  sentence ("X said", "said X", "according to X"), never a speech verb inside
  a relative clause ("the fund, which X announced"); a pronoun speaker ("she
  said") is the speaker of the article's current quote thread, i.e. the last
  speaker the article introduced in this or the previous paragraph, named or
  not: after "a spokeswoman for the employers said", "she said" stays as
  written rather than falling back on an earlier named speaker;
- he/she/him/his/her elsewhere: the GAP-trained pair classifier
  (`factcheck.coref.model`) over the people named in the preceding sentences;
- descriptions ("the group", "the company", "the report", "the researchers"):
  the one compatible name in the preceding sentences, or nothing when there
  are none or several;
- relative dates: the publication date, with the direction taken from the
  phrase itself ("last", "next") or from the tense of the verb the date
  belongs to; a bare weekday in a present-tense clause is left alone.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import numpy as np

from factcheck.coref.features import SPEECH_LEMMAS, pair_vector, parse_features, pronoun_gender
from factcheck.coref.parsing import parse_many
from factcheck.coref.reported import reported_ranges

__all__ = ["KINDS", "THRESHOLDS", "ArticleReading", "Rewrite", "apply_rewrites", "read_article"]

KINDS = ("speaker", "pronoun", "description", "date", "subject")
# Rule-based rewrites carry fixed confidences; these thresholds keep only the
# cases each rule is sure of (the pronoun threshold comes from the model).
THRESHOLDS = {"speaker": 0.85, "description": 0.85, "date": 0.85, "subject": 0.85}

_MONTH_NAMES = ("January February March April May June July August September October November December").split()
_PARTS_OF_DAY = frozenset({"morning", "afternoon", "evening", "night"})
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PERSONAL = {"he", "him", "his", "she", "her", "hers"}
_QUOTES = "\"“”"
_FEMININE_NOUNS = frozenset(
    "spokeswoman chairwoman businesswoman congresswoman actress mother daughter wife sister "
    "woman girl queen princess duchess grandmother aunt widow".split())
_MASCULINE_NOUNS = frozenset(
    "spokesman chairman businessman congressman actor father son husband brother man boy king "
    "prince duke grandfather uncle widower".split())
_FEMININE_TITLES = frozenset("mrs ms miss dame lady madam".split())
_MASCULINE_TITLES = frozenset("mr sir lord".split())

# Descriptions and the entity labels that can name them.
_ORGANISATION_NOUNS = frozenset(
    "group company firm organisation organization agency union charity bank ministry department "
    "council party club institute university regulator watchdog campaign coalition network "
    "carmaker retailer airline insurer lender startup".split())
_NAMED_BY_ATTACHMENT = frozenset("report study survey analysis tool app researchers scientists review "
                                 "paper poll audit investigation inquiry".split())
_COUNTRY_NOUNS = frozenset({"country", "nation"})
# Names that cannot be what "the company" (True) or "the country" (False) refers to.
_NOT_A_REFERENT_FOR = {
    True: frozenset({"PERSON", "GPE", "LOC", "DATE", "TIME", "MONEY", "PERCENT", "CARDINAL", "ORDINAL",
                     "QUANTITY", "NORP", "EVENT", "LAW", "LANGUAGE"}),
    False: frozenset({"PERSON", "ORG", "DATE", "TIME", "MONEY", "PERCENT", "CARDINAL", "ORDINAL", "QUANTITY",
                      "NORP", "EVENT", "LAW", "LANGUAGE", "PRODUCT", "WORK_OF_ART", "FAC"}),
}


@dataclass(frozen=True)
class Rewrite:
    start: int  # offsets into the article text; start == end for an insertion
    end: int
    original: str
    replacement: str
    kind: str  # one of KINDS
    confidence: float
    referent: str | None = None
    referent_start: int | None = None  # where the article names the referent
    referent_end: int | None = None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["confidence"] = round(self.confidence, 3)
        return data


def apply_rewrites(text: str, offset: int, rewrites: Sequence[Rewrite]) -> str:
    """``text`` (which starts at ``offset`` in the article) with the rewrites
    that fall inside it applied."""
    pieces, position = [], 0
    for rewrite in sorted(rewrites, key=lambda r: (r.start, r.end)):
        start, end = rewrite.start - offset, rewrite.end - offset
        if start < position or end > len(text):
            continue  # overlapping or outside: the words stay as written
        pieces.append(text[position:start])
        pieces.append(rewrite.replacement)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


@dataclass
class _Speaker:
    """A speaker the article introduced: named or not."""

    name: str | None  # a person's full name or an organisation, None when unnamed
    start: int | None
    end: int | None
    paragraph: int
    gender: str | None = None
    organisation: bool = False
    claimant: str | None = None  # who the statement is from: the name, or the organisation an unnamed speaker speaks for
    # Where the words this speaker reports stand ("said [Ellis trained six days a week]"): people named
    # there are talked about, not new speakers, so they do not end the quote thread.
    reported: tuple[tuple[int, int], ...] = ()


@dataclass
class _Group:
    """An unnamed group that spoke: its words as written (capitalised, and as they read inside a sentence)."""

    words: str
    words_inside: str
    start: int
    end: int
    paragraph: int
    claimant: str | None  # the organisation it belongs to, if the words name one


#: The longest description of an unnamed group that "they" is rewritten to (longer ones are not a name).
_GROUP_WORDS = 10


@dataclass
class ArticleReading:
    """What the parser found in an article: claimants and proposed rewrites by sentence."""

    claimants: dict[int, tuple[str | None, float]] = field(default_factory=dict)  # sentence start -> claimant
    rewrites: list[Rewrite] = field(default_factory=list)
    # sentence start -> where what the sentence reports stands, absolute ranges (``coref.reported``)
    reported: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def claimant_of(self, start: int) -> str | None:
        name, _ = self.claimants.get(start, (None, 0.0))
        return name

    def rewrites_in(self, start: int, end: int) -> list[Rewrite]:
        return [r for r in self.rewrites if start <= r.start and r.end <= end]


# ---------------------------------------------------------------------------
# The article as parsed text
# ---------------------------------------------------------------------------


@dataclass
class _Sentence:
    start: int
    end: int
    paragraph: int
    tokens: list  # spaCy tokens of the sentence (from the paragraph's parse)
    offset: int  # absolute offset of the paragraph's doc
    is_claim: bool


class _Article:
    def __init__(self, text: str, paragraphs: Sequence[tuple[int, int, Sequence[tuple[int, int]]]],
                 claim_starts: set[int]):
        self.text = text
        docs = list(parse_many([text[start:end] for start, end, _ in paragraphs]))
        self.sentences: list[_Sentence] = []
        self.entities: list[tuple[int, int, str, str]] = []  # (start, end, label, text), absolute
        for index, ((start, _end, spans), doc) in enumerate(zip(paragraphs, docs)):
            for entity in doc.ents:
                self.entities.append((start + entity.start_char, start + entity.end_char, entity.label_,
                                      entity.text))
            for sentence_start, sentence_end in spans:
                tokens = [t for t in doc if sentence_start <= start + t.idx < sentence_end]
                self.sentences.append(_Sentence(sentence_start, sentence_end, index, tokens, start,
                                                sentence_start in claim_starts))
        self.kinds: dict[tuple[str, ...], set[str]] = {}  # an organisation's words -> what it is (_kinds_of)
        self._add_surname_mentions(paragraphs, docs)
        self._people = self._cluster_people()
        # A one-word "person" that is nobody's surname ("Lumora, the San Francisco start-up", which the small
        # model calls a person here and a place there) is a name whose kind the parser does not know.
        surnames = {name.split()[-1] for _, _, name in self._people if len(name.split()) >= 2}
        self.uncertain_names = {name for _, _, name in self._people if " " not in name and name not in surnames}

    def _add_surname_mentions(self, paragraphs, docs) -> None:
        """The small English model often misses a surname alone at the start of a
        sentence ("Ward said …", "Osei conceded …"). A proper noun that is the
        surname of exactly one person the article named in full before it is
        that person: without this, the pronoun resolver and the quote thread
        would not see them at all, and "she" would go to whoever else was named."""
        full_names = sorted((start, name) for start, _end, label, name in self.entities
                            if label == "PERSON" and len(_person_name(name).split()) >= 2)
        if not full_names:
            return
        added = []
        for (paragraph_start, _end, _spans), doc in zip(paragraphs, docs):
            for token in doc:
                start = paragraph_start + token.idx
                if not token.text[:1].isupper() or token.pos_ != "PROPN" and not (
                        # "Price said …": a capitalised noun that speaks is a name, if it is someone's surname.
                        token.pos_ == "NOUN" and token.dep_ == "nsubj" and token.head.lemma_.lower() in SPEECH_LEMMAS):
                    continue
                owners = {_person_name(name) for named_at, name in full_names
                          if named_at < start and _person_name(name).split()[-1] == token.text}
                if not owners:
                    continue
                # The surname of two people named before ("Hale" after Victor Hale and Laura Hale) is still
                # a person: it stays a mention (a pronoun may mean them) that no rule names (`ambiguous`).
                inside = [e for e in self.entities if e[0] <= start < e[1]]
                if any(e[2] == "PERSON" or e[1] - e[0] > len(token.text) for e in inside):
                    continue  # already a person, or part of a longer name ("Ward Street")
                for entity in inside:  # a lone surname mistaken for a place or an organisation
                    self.entities.remove(entity)
                added.append((start, start + len(token.text), "PERSON", token.text))
        self.entities.extend(added)
        self.entities.sort()

    def absolute(self, token, sentence: _Sentence) -> tuple[int, int]:
        return sentence.offset + token.idx, sentence.offset + token.idx + len(token.text)

    # People: a full name, then the surname alone ("Priya Patel" ... "Patel").
    def _cluster_people(self) -> list[tuple[int, int, str]]:
        people = []
        for start, end, label, name in self.entities:
            if label == "PERSON":
                name = _person_name(name)
                people.append((start, end, name))
        return people

    def full_name(self, name: str, before: int) -> str:
        """The longest earlier full name ending with ``name``; ``name`` itself
        when none, or when two different people share it."""
        matches = {known for start, _, known in self._people
                   if start < before and known != name and known.endswith(" " + name)}
        return _one_person(matches) or name

    def ambiguous(self, name: str, before: int) -> bool:
        """Whether ``name`` is a surname alone that two people named before share."""
        matches = {known for start, _, known in self._people
                   if start < before and known != name and known.endswith(" " + name)}
        return " " not in name and len(matches) >= 2 and _one_person(matches) is None

    def is_person(self, name: str) -> bool:
        return any(known == name or known.endswith(" " + name) or name.endswith(" " + known)
                   for _, _, known in self._people)

    def entity_at(self, start: int, end: int) -> tuple[int, int, str, str] | None:
        for entity in self.entities:
            if entity[0] <= start and end <= entity[1]:
                return entity
        return None


# Words the small model often takes into a PERSON name ("Chief Constable David Mensah" gives
# "Constable David Mensah"): a name in a rewrite is the person's name alone, never a half title.
_TITLES = frozenset(
    "mr mrs ms miss mx dr prof professor sir dame lord lady councillor cllr constable chief inspector "
    "sergeant superintendent officer detective president minister secretary senator governor mayor judge "
    "justice rev reverend father bishop general colonel major captain lieutenant commissioner chancellor "
    "premier mp mep rep representative deputy director coach".split())


# Letters after a name that the small model takes into it ("Simon Ashworth KC", "Jane Doe MP"): a barrister's
# or an MP's name is the name alone, so that "Ashworth" later is the same person and the claimant is a name.
_POST_NOMINALS = frozenset("kc qc sc mp msp mla mep obe mbe cbe kbe dbe".split())


def _person_name(text: str) -> str:
    """A person's name as written in an entity, without a possessive, leading titles or trailing letters."""
    words = re.sub(r"['’]s$", "", text).strip().split()
    while len(words) > 1 and words[0].lower().rstrip(".") in _TITLES:
        words = words[1:]
    while len(words) > 1 and words[-1].lower().rstrip(".,") in _POST_NOMINALS:
        words = words[:-1]
    return " ".join(words)


def _one_person(names: set[str]) -> str | None:
    """The one person these names are, or None. "Councillor Helen Ward" and
    "Helen Ward" are one person, named plainly; "Helen Ward" and "Tom Ward"
    are two."""
    plain = {name for name in names if not any(other != name and name.endswith(" " + other) for other in names)}
    return plain.pop() if len(plain) == 1 else None


def _coordinated(subject) -> list | None:
    """The tokens of a coordinated subject ("Devon and Cornwall Police", "Smith and Jones"), from its first
    word to the end of its last conjunct, or None when the subject is one noun phrase."""
    conjuncts = [child for child in subject.children if child.dep_ == "conj"]
    if not conjuncts or not any(child.dep_ == "cc" for child in subject.children):
        return None
    return [t for t in subject.doc[subject.left_edge.i:conjuncts[-1].right_edge.i + 1]]


def _in_place(name: str, sentence_start: bool) -> str:
    """A name as it reads where it goes: capitalised at the start of a sentence, and "the" in lower case
    elsewhere ("…, the Nurses and Midwives Union said", although the article began a sentence with it)."""
    if sentence_start:
        return name[0].upper() + name[1:]
    return "the " + name[4:] if name.startswith("The ") else name


def _bare(name: str) -> str:
    """A claimant is a name: "the World Health Organization" -> "World Health Organization"."""
    return re.sub(r"^[Tt]he\s+", "", name)


def _entity_with_article(text: str, start: int, name: str) -> str:
    """Organisations keep the "the" the article gives them ("the World Health Organization")."""
    if name.lower().startswith("the "):
        return name
    if text[max(0, start - 4):start].lower() == "the ":
        return "the " + name
    return name


# ---------------------------------------------------------------------------
# Speakers and claimants
# ---------------------------------------------------------------------------


def _subject_of(verb):
    for child in verb.children:
        if child.dep_ in ("nsubj", "nsubjpass"):
            return child
    return None


#: Verbs by which a sentence says what its subject thinks, so that a quotation right after it is theirs.
_STANCE_LEMMAS = frozenset(
    "disagree agree insist reject defend dismiss welcome criticise criticize attack praise blame challenge "
    "question dispute urge vow promise pledge hit respond react object oppose support accuse condemn "
    "applaud remain sound strike call".split())


def _takes_a_stance(sentence: _Sentence) -> str | None:
    """"spoke" when the sentence's main verb is a speech verb; "stance" when it
    says what its subject thinks (a stance verb: "disagreed", "welcomed"; or
    "was" with an adjective: "was defiant", "was more cautious"); else None."""
    for token in sentence.tokens:
        if token.dep_ == "ROOT":
            if _subject_of(token) is None or any(c.dep_ == "nsubjpass" for c in token.children):
                return None
            lemma = token.lemma_.lower()
            if lemma in SPEECH_LEMMAS:
                return "spoke"
            if lemma in _STANCE_LEMMAS or (lemma == "be" and any(c.dep_ == "acomp" and c.pos_ == "ADJ"
                                                                  for c in token.children)):
                return "stance"
            return None
    return None


def _mentions_a_third_person(sentence: _Sentence) -> bool:
    return any(t.lower_ in _PERSONAL and t.pos_ == "PRON" and _inside_quotation_token(t) for t in sentence.tokens)


def _inside_quotation_token(token) -> bool:
    """Whether a token sits between quotation marks within its own sentence."""
    before = [t.text for t in token.sent if t.i < token.i]
    marks = sum(1 for text in before if text in ('"', "“", "”"))
    return marks % 2 == 1


def _quoted(sentence: _Sentence, token) -> bool:
    """Whether a token sits between quotation marks of the article's sentence (which may hold a quotation
    of several sentences: '"This was a tragedy. It was not a crime," he said.')."""
    return sum(1 for t in sentence.tokens if t.i < token.i and t.text in _QUOTES) % 2 == 1


def _governing_speech(sentence: _Sentence):
    """(speech verb, speaker token) of the speech verb that frames the sentence,
    or "according to X" attached to the sentence's main verb."""
    for token in sentence.tokens:
        if token.dep_ == "ROOT" and token.pos_ in ("VERB", "AUX"):
            candidates = [token] + [c for c in token.children if c.dep_ in ("parataxis", "conj")
                                    and c.pos_ == "VERB"]
            # '"They have been charging a premium …," she said.': the parser may hang the speech verb
            # after a quotation on the quoted verb (advcl). Outside the quotation and with no conjunction
            # of its own ("…, as she said"), it frames the sentence.
            candidates += [c for c in token.children if c.dep_ == "advcl" and c.pos_ == "VERB"
                           and not _quoted(sentence, c) and _quoted(sentence, token)
                           and not any(g.dep_ == "mark" and not _quoted(sentence, g) for g in c.children)]
            for verb in candidates:
                # A speech verb inside the quotation ('"He was told …," Ashworth said') is the quoted
                # words, and a passive one's subject is who was spoken to: neither names the speaker.
                if verb.lemma_.lower() in SPEECH_LEMMAS and not _quoted(sentence, verb):
                    subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
                    if subject is not None:
                        return verb, subject
            for child in token.children:
                if child.lower_ == "according" and child.dep_ == "prep":
                    for to in child.children:
                        if to.lower_ == "to":
                            objects = [c for c in to.children if c.dep_ == "pobj"]
                            if objects:
                                return child, objects[0]
    return None, None



class _Speakers:
    """Who speaks in the article, sentence by sentence, for claimants and
    pronoun speakers ("…, she said")."""

    def __init__(self, article: _Article, descriptions: dict[int, Rewrite]):
        self.article = article
        self.descriptions = descriptions  # "the group" rewrites by the start of "the"
        self.thread: _Speaker | None = None
        self.genders: dict[str, str] = {}
        self.settled: set[int] = set()  # start offsets of speaker pronouns
        self.acting: _Speaker | None = None  # who the previous sentence's main clause is about
        self.taking_a_stance: str | None = None  # whether that sentence says what they say or think
        # Speaker pronouns left to the resolver: pronoun start -> start of its sentence (for the claimant).
        self.speaker_pronouns: dict[int, int] = {}
        # For those pronouns: the speaker whose quote thread someone else's name interrupted.
        self.displaced_speakers: dict[int, str] = {}
        # An unnamed group that spoke in the sentence just read ("Economists at the Resolution Foundation
        # said …"): who "They said …" in the next sentence of the paragraph is.
        self.group: _Group | None = None

    def _named(self, token, sentence: _Sentence) -> _Speaker | None:
        """The speaker a subject token names: a person (full name), an
        organisation, or an unnamed speaker ("a spokeswoman for X")."""
        article = self.article
        start, end = article.absolute(token, sentence)
        described = next((r for r in self.descriptions.values() if r.start <= start < r.end), None)
        if described is not None and described.referent_start is not None:
            name = _entity_with_article(article.text, described.referent_start, described.referent)
            entity = article.entity_at(described.referent_start, described.referent_end)
            if entity and entity[2] in ("ORG", "GPE", "NORP"):
                return _Speaker(name, described.referent_start, described.referent_end, sentence.paragraph,
                                organisation=True, claimant=_bare(name))
        entity = article.entity_at(start, end)
        if entity and entity[2] == "PERSON":
            name = article.full_name(_person_name(entity[3]), entity[0])
            thread = self.thread
            if (" " not in name and thread is not None and thread.name is not None and not thread.organisation
                    and thread.name.endswith(" " + name) and sentence.paragraph - thread.paragraph <= 1):
                # Two Beckers in the article, but "Becker said" right after Paul Becker spoke is him.
                name = thread.name
            if article.ambiguous(name, entity[0]):
                # Otherwise "Hale" after Victor Hale and Laura Hale is one of two people: a speaker nobody
                # can name, as "a spokeswoman" is ("she said" after it stays as written).
                return _Speaker(None, None, None, sentence.paragraph)
            return _Speaker(name, entity[0], entity[1], sentence.paragraph, self._gender_near(token, name),
                            claimant=name)
        if entity and entity[2] in ("ORG", "GPE", "NORP"):
            name = _entity_with_article(article.text, entity[0], entity[3])
            return _Speaker(name, entity[0], entity[1], sentence.paragraph, organisation=True, claimant=_bare(name))
        if token.pos_ == "PROPN" and entity is None and any(
                c.dep_ == "compound" and c.pos_ == "NOUN" and c.lower_ in _ORGANISATION_NOUNS for c in token.children):
            # "…, the drivers' union Aslef said": a name the entity model missed, which the article itself
            # calls an organisation by the noun before it.
            first = min([c for c in token.children if c.dep_ == "compound" and c.pos_ == "PROPN"] + [token],
                        key=lambda t: t.i)
            name_start = article.absolute(first, sentence)[0]
            name = article.text[name_start:end]
            return _Speaker(name, name_start, end, sentence.paragraph, organisation=True, claimant=name)
        # "An MP for a northern constituency, Jane Doe, said": the name in apposition.
        for child in token.children:
            if child.dep_ == "appos":
                entity = article.entity_at(*article.absolute(child, sentence))
                if entity and entity[2] == "PERSON":
                    name = article.full_name(_person_name(entity[3]), entity[0])
                    return _Speaker(name, entity[0], entity[1], sentence.paragraph, self._gender_near(token, name),
                                    claimant=name)
                if entity and entity[2] == "ORG":  # "The buyer, Northgate Capital, said"
                    name = _entity_with_article(article.text, entity[0], entity[3])
                    return _Speaker(name, entity[0], entity[1], sentence.paragraph, organisation=True,
                                    claimant=_bare(name))
        gender = ("feminine" if token.lower_ in _FEMININE_NOUNS else
                  "masculine" if token.lower_ in _MASCULINE_NOUNS else None)
        # "A spokesperson for the Employers' Federation said": the organisation speaks.
        return _Speaker(None, None, None, sentence.paragraph, gender, claimant=self._organisation_in(token, sentence))

    def _gender_near(self, token, name: str) -> str | None:
        """A gender the article itself gives the person: a title ("Mrs"), a
        gendered noun in apposition ("a spokeswoman"), or an earlier pronoun."""
        # Only words that describe the person themself: their title and name, and the head of an
        # apposition ("Jane Doe, a spokeswoman"; "spokeswoman Jane Doe") — not every word below the name
        # ("a neurologist at King's College London" says nothing of Linda Haas's gender).
        related = [token, *token.lefts]
        for child in token.children:
            if child.dep_ == "appos":
                related += [child, *(c for c in child.lefts if c.dep_ in ("compound", "amod"))]
        if token.dep_ == "appos":
            related.append(token.head)
        words = {t.lower_.rstrip(".") for t in related}
        if words & _FEMININE_TITLES or words & _FEMININE_NOUNS:
            self.genders[name] = "feminine"
        elif words & _MASCULINE_TITLES or words & _MASCULINE_NOUNS:
            self.genders[name] = "masculine"
        return self.genders.get(name)

    def read(self, sentence: _Sentence, rewrites: list[Rewrite]) -> tuple[str | None, float]:
        """Update the quote thread with this sentence; return its claimant
        (name, confidence) and add a speaker rewrite for "she said"."""
        group, self.group = self.group, None
        acting, self.acting = self.acting, self._main_subject(sentence)
        stance, self.taking_a_stance = self.taking_a_stance, _takes_a_stance(sentence)
        if acting is not None and acting.paragraph != sentence.paragraph:
            acting = None  # the sentence before is in another paragraph
        # A person who only appears in the sentence before ("John Smith appeared in court.") does not
        # thereby speak next: only one who takes a stance there, and whose words do not talk about a
        # third person ("'He showed no emotion,' she said" is someone else speaking about him).
        speaking = (acting is not None and (acting.organisation or stance == "spoke"
                                            or (stance == "stance" and not _mentions_a_third_person(sentence))))
        acting = acting if speaking else None
        verb, subject = _governing_speech(sentence)
        if subject is None:
            words = self.article.text[sentence.start:sentence.end]
            if (self.acting is not None and self.taking_a_stance == "stance"
                    and sum(words.count(mark) for mark in _QUOTES) >= 2):
                # "Abiy Lemma called the agreement "a model for the continent"": the quoted words are
                # the subject's, and so is the claim; they may go on speaking.
                self.thread = self.acting
                return self.acting.claimant, 0.9
            return self._bare_quotation(sentence, acting, rewrites)
        word = subject.lower_
        if word == "it" and acting is not None and acting.organisation:
            # "The Police Federation … disputed that figure. It said …": "it" that speaks is the
            # organisation the sentence before was about, before any that spoke earlier.
            self.thread = acting
        if word in _PERSONAL and subject.dep_ != "poss":
            gender = pronoun_gender(word)
            pronoun_start = self.article.absolute(subject, sentence)[0]
            if (acting is not None and not acting.organisation and acting.gender in (None, gender)
                    and self.genders.get(acting.name) in (None, gender)
                    and not self._someone_else_named(acting, pronoun_start)):
                # "Union leader Tom Hale disagreed. '…,' he told reporters.": the person the sentence
                # before was about speaks, when nobody else was named since.
                self.thread = acting
            thread = self.thread
            if (thread is not None and thread.name is not None and not thread.organisation
                    and self._someone_else_named(thread, pronoun_start)):
                # "Minister Anna Berg announced the plan. Tom Hale criticised it. He said …": another
                # person was named after the thread's speaker, so the thread alone cannot say who
                # "he" is. The pronoun resolver weighs both (and may leave the word as written).
                self.thread = None
                self.speaker_pronouns[pronoun_start] = sentence.start
                self.displaced_speakers[pronoun_start] = thread.name
                return None, 0.0
            # Otherwise a speaker pronoun is settled here, by the quote thread, or left as
            # written: never handed to the pronoun resolver's nearest names.
            self.settled.add(pronoun_start)
            current = (thread is not None and sentence.paragraph - thread.paragraph <= 1
                       and (thread.gender is None or thread.gender == gender))
            if current and thread.name is None:
                # An unnamed speaker ("a spokeswoman for X") keeps speaking: the
                # words stay, the claimant is the organisation she speaks for.
                thread.gender = thread.gender or gender
                thread.paragraph = sentence.paragraph
                return thread.claimant, (0.9 if thread.claimant else 0.0)
            if not current or thread.name is None or thread.organisation:
                # The thread's speaker is unknown, an organisation, too far back or
                # of another gender: the words stay as written, the claimant empty.
                return None, 0.0
            thread.gender = thread.gender or gender
            self.genders.setdefault(thread.name, gender)
            start, end = self.article.absolute(subject, sentence)
            replacement = thread.name if not subject.is_sent_start else thread.name[0].upper() + thread.name[1:]
            rewrites.append(Rewrite(start, end, subject.text, replacement, "speaker", 0.9, thread.name,
                                    thread.start, thread.end))
            thread.paragraph = sentence.paragraph
            return thread.name, 0.9
        if word == "it" and subject.dep_ != "poss":
            thread = self.thread
            if (thread is not None and thread.organisation and thread.name is not None
                    and sentence.paragraph - thread.paragraph <= 1
                    and not self._another_organisation_named(thread, self.article.absolute(subject, sentence)[0])):
                # "The Housing Federation welcomed … The group said … It added that …": an organisation
                # keeps speaking; "it" is that organisation, unless another was named in between.
                start, end = self.article.absolute(subject, sentence)
                replacement = _in_place(thread.name, subject.is_sent_start)
                rewrites.append(Rewrite(start, end, subject.text, replacement, "speaker", 0.9, thread.name,
                                        thread.start, thread.end))
                self.settled.add(start)
                thread.paragraph = sentence.paragraph
                return thread.claimant, 0.9
        if (word == "they" and group is not None and group.paragraph == sentence.paragraph
                and not _quoted(sentence, subject)):
            # "Economists at the Resolution Foundation said … They said …": the group goes on speaking.
            start, end = self.article.absolute(subject, sentence)
            replacement = group.words if subject.is_sent_start else group.words_inside
            rewrites.append(Rewrite(start, end, subject.text, replacement, "speaker", 0.9, group.words,
                                    group.start, group.end))
            self.thread = _Speaker(None, None, None, sentence.paragraph, claimant=group.claimant)
            self.group = group
            return group.claimant, (0.9 if group.claimant else 0.0)
        if word in ("they", "it", "we", "i", "you"):
            self.thread = _Speaker(None, None, None, sentence.paragraph)
            return None, 0.0
        together = _coordinated(subject)
        if together is not None:
            # "Devon and Cornwall Police said" (the model read "Devon" as a person), "Smith and Jones said":
            # the claimant is the words as written; nobody in particular goes on speaking after them.
            self.thread = _Speaker(None, None, None, sentence.paragraph)
            start = self.article.absolute(together[0], sentence)[0]
            end = self.article.absolute(together[-1], sentence)[1]
            return _bare(self.article.text[start:end]), 0.9
        self._its_organisation(subject, sentence, acting, rewrites)
        speaker = self._named(subject, sentence)
        speaker.reported = tuple((sentence.offset + c.left_edge.idx,
                                  sentence.offset + c.right_edge.idx + len(c.right_edge.text))
                                 for c in verb.children if c.dep_ == "ccomp")
        self.thread = speaker
        if speaker.name is not None and not speaker.organisation:
            self._full_name_rewrite(subject, sentence, speaker, rewrites)
        elif speaker.name is None:
            self.group = self._group(subject, sentence, speaker.claimant)
        return speaker.claimant, (0.95 if speaker.claimant else 0.0)

    def _group(self, subject, sentence: _Sentence, claimant: str | None) -> _Group | None:
        """An unnamed group as the speaker ("Economists at the Resolution Foundation", "Analysts at the
        broker Peel Hunt"): a plural common noun, its words up to any comma, at most ``_GROUP_WORDS``."""
        if subject.pos_ != "NOUN" or subject.tag_ != "NNS" or subject.ent_type_ or _quoted(sentence, subject):
            return None
        words = []
        for token in subject.doc[subject.left_edge.i:subject.right_edge.i + 1]:
            if token.is_punct or token.text in _QUOTES:
                break
            words.append(token)
        if not words or words[-1].i < subject.i or len(words) > _GROUP_WORDS:
            return None
        start = self.article.absolute(words[0], sentence)[0]
        end = self.article.absolute(words[-1], sentence)[1]
        text = self.article.text[start:end]
        inside = text if words[0].pos_ == "PROPN" else text[0].lower() + text[1:]
        return _Group(text[0].upper() + text[1:], inside, start, end, sentence.paragraph, claimant)

    def _its_organisation(self, subject, sentence: _Sentence, acting: _Speaker | None,
                          rewrites: list[Rewrite]) -> None:
        """"The union Usdaw said … Its national officer, Karen Doyle, said …": "its" before a speaker's title
        is the named organisation that was the subject of the sentence just before (in the same paragraph),
        when no other organisation was named since; otherwise the word stays."""
        its = next((c for c in subject.children if c.dep_ == "poss" and c.lower_ == "its"), None)
        if its is None:
            return
        # Only the subject of the sentence just before: an organisation that spoke earlier is not enough
        # ("The Housing Federation said … The central bank held rates. Its governor, …" is the bank's).
        organisation = acting if acting is not None and acting.organisation and acting.name else None
        if organisation is None:
            return
        start, end = self.article.absolute(its, sentence)
        if self._another_organisation_named(organisation, start):
            return
        name = _in_place(organisation.name, its.is_sent_start)
        rewrites.append(Rewrite(start, end, its.text, name + ("'" if name.endswith("s") else "'s"), "speaker", 0.9,
                                organisation.name, organisation.start, organisation.end))

    def _someone_else_named(self, thread: _Speaker, before: int) -> bool:
        """Whether a person other than the thread's speaker is named between the
        speaker's mention and ``before``."""
        after = thread.end if thread.end is not None else before
        return any(after <= start < before and self.article.full_name(name, start) != thread.name
                   and not any(left <= start < right for left, right in thread.reported)
                   for start, _end, name in self.article._people)

    def _main_subject(self, sentence: _Sentence) -> _Speaker | None:
        """The named person or organisation that is the subject of the sentence's main verb, if any."""
        for token in sentence.tokens:
            if token.dep_ == "ROOT":
                subject = _subject_of(token)
                if subject is None or subject.pos_ == "PRON" or _coordinated(subject) is not None:
                    return None
                speaker = self._named(subject, sentence)
                return speaker if speaker.name is not None else None
        return None

    def _bare_quotation(self, sentence: _Sentence, acting: _Speaker | None,
                        rewrites: list[Rewrite]) -> tuple[str | None, float]:
        """A sentence that is wholly a quotation, right after a sentence about a
        named person or organisation in the same paragraph ("Minister Anna Berg
        was defiant. "We have cut waiting lists …"") is theirs: the claimant,
        and their name put before the quotation ("Anna Berg: "We have …"")."""
        words = self.article.text[sentence.start:sentence.end].strip()
        if (acting is None or len(words) < 2 or words[0] not in _QUOTES or words[-1] not in _QUOTES + ".!?"
                or sum(words.count(mark) for mark in _QUOTES) != 2):
            return None, 0.0
        # Wholly a quotation: nothing but punctuation outside its marks ('"…," she said.' is not one).
        if any(not _quoted(sentence, t) and not t.is_punct for t in sentence.tokens):
            return None, 0.0
        self.thread = acting
        rewrites.append(Rewrite(sentence.start, sentence.start, "", f"{_bare(acting.name)}: ", "speaker", 0.9,
                                acting.name, acting.start, acting.end))
        return acting.claimant, 0.9

    def _another_organisation_named(self, thread: _Speaker, before: int) -> bool:
        """Whether an organisation other than the thread's is named between its mention and ``before``."""
        after = thread.end if thread.end is not None else before
        own = _bare(thread.name or "").lower()
        return any(after <= start < before and label == "ORG" and _bare(name).lower() != own
                   for start, _end, label, name in self.article.entities)

    def _full_name_rewrite(self, subject, sentence: _Sentence, speaker: _Speaker, rewrites: list[Rewrite]) -> None:
        """'"…," Patel said' -> Priya Patel, the full name the article gave before."""
        entity = self.article.entity_at(*self.article.absolute(subject, sentence))
        introduced_at = self._introduction(speaker.name)
        if entity is None or introduced_at[0] is None or introduced_at[0] >= entity[0]:
            return
        written = re.sub(r"['’]s$", "", entity[3]).strip()
        if written != speaker.name and speaker.name.endswith(" " + written):
            start = entity[0]
            rewrites.append(Rewrite(start, start + len(written), written, speaker.name, "speaker", 0.9,
                                    speaker.name, *introduced_at))

    def _introduction(self, name: str) -> tuple[int | None, int | None]:
        for start, end, known in self.article._people:
            if known == name:
                return start, end
        return None, None

    def _organisation_in(self, subject, sentence: _Sentence) -> str | None:
        for token in subject.subtree:
            if token.dep_ == "pobj" and token.head.lower_ in ("for", "at", "of", "from"):
                start, end = self.article.absolute(token, sentence)
                described = next((r for r in self.descriptions.values() if r.start <= start < r.end), None)
                if described is not None and described.referent_start is not None:
                    # "A spokesman for the firm", the firm being Vextel: the organisation it names.
                    start, end = described.referent_start, described.referent_end
                entity = self.article.entity_at(start, end)
                if entity and entity[2] == "ORG":
                    return _bare(entity[3])
        return None


# ---------------------------------------------------------------------------
# Pronouns (the trained resolver)
# ---------------------------------------------------------------------------

_WINDOW_SENTENCES = 3


def _pronoun_requests(article: _Article, speakers: _Speakers, handled: set[int],
                      claimants: dict[int, tuple[str | None, float]]):
    """(sentence index, pronoun absolute span, pronoun token) for the personal
    pronouns of claim sentences that the resolver may replace: decided here,
    before its transformer pass, so no text is encoded for a pronoun that must
    stay as written anyway.

    - Only the first "she" (or "he") of a sentence: "She said Maeve Connolly had
      spent …" would make two people of one.
    - Not one the speaker rules settled.
    - Not in a sentence a person speaks, outside the quotation: in "Andrew Cole
      said his client …" the speaker is the likeliest "his" of all, whatever
      the resolver thinks of the people named before (and if it is the speaker,
      the name is in the sentence already). Inside the quotation the speaker
      says "I", so there "he" is someone else and the resolver decides.
    """
    for index, sentence in enumerate(article.sentences):
        if not sentence.is_claim:
            continue
        speaker = claimants.get(sentence.start, (None, 0.0))[0]
        seen: set[str | None] = set()
        for token in sentence.tokens:
            if token.lower_ not in _PERSONAL or token.pos_ != "PRON":
                continue
            gender = pronoun_gender(token.lower_)
            if gender in seen:
                continue
            seen.add(gender)
            span = article.absolute(token, sentence)
            if span[0] in handled:
                continue
            if (speaker is not None and not _inside_quotation(article.text, span[0]) and article.is_person(speaker)
                    and speakers.genders.get(speaker) in (None, gender)):
                continue
            yield index, span, token


def _regions(article: _Article, requests) -> list[tuple[int, int]]:
    """The article text the pronouns need: each pronoun's window (its sentence
    and the ``_WINDOW_SENTENCES`` before it), overlapping windows merged, so
    each stretch of text is parsed and encoded once."""
    regions: list[tuple[int, int]] = []
    for index, _span, _token in requests:
        start = article.sentences[max(0, index - _WINDOW_SENTENCES)].start
        end = article.sentences[index].end
        if regions and start <= regions[-1][1]:
            regions[-1] = (regions[-1][0], max(regions[-1][1], end))
        else:
            regions.append((start, end))
    return regions


def _resolve_pronouns(article: _Article, speakers: _Speakers, rewrites: list[Rewrite], model,
                      claimants: dict[int, tuple[str | None, float]]) -> None:
    from factcheck.coref.encoder import token_encoder
    from factcheck.coref.examples import person_spans

    handled = {r.start for r in rewrites} | speakers.settled
    people_at = [e[0] for e in article.entities if e[2] == "PERSON"]
    # A pronoun with no person named in its window has nobody to be: no parse, no transformer pass.
    requests = [(index, span, token) for index, span, token in
                _pronoun_requests(article, speakers, handled, claimants)
                if any(article.sentences[max(0, index - _WINDOW_SENTENCES)].start <= at < span[0]
                       for at in people_at)]
    if not requests:
        return
    regions = _regions(article, requests)
    docs = list(parse_many([article.text[start:end] for start, end in regions]))
    # The article's own reading of who is a person (it adds surnames the model missed) holds here too.
    surnames = [[span for e_start, e_end, label, _ in article.entities
                 if label == "PERSON" and start <= e_start and e_end <= end
                 and (span := doc.char_span(e_start - start, e_end - start)) is not None]
                for (start, end), doc in zip(regions, docs)]
    # Per pronoun: its region, its token there, and the people named in its window before it.
    pending = []
    for index, (pronoun_start, pronoun_end), token in requests:
        window_start = article.sentences[max(0, index - _WINDOW_SENTENCES)].start
        region = next(i for i, (start, end) in enumerate(regions) if start <= pronoun_start < end)
        region_start, doc = regions[region][0], docs[region]
        pronoun_span = doc.char_span(pronoun_start - region_start, pronoun_end - region_start,
                                     alignment_mode="expand")
        if pronoun_span is None:
            continue
        people = [p for p in person_spans(doc, surnames[region])
                  if p.start_char >= window_start - region_start and p.end <= pronoun_span.start]
        # People known to be of the other gender are no candidates (GAP's candidates, which the
        # resolver learnt from, always share the pronoun's gender).
        gender = pronoun_gender(token.lower_)
        named = [(article.full_name(_person_name(person.text), region_start + person.start_char), person)
                 for person in people]
        named = [(name, person) for name, person in named if speakers.genders.get(name) in (None, gender)]
        if _inside_quotation(article.text, pronoun_start):
            # Inside a quotation the speaker says "I": "he" there is never them (nor, when the speaker is a
            # surname two people share, either of those two).
            speaking = _speaker_surnames(article, article.sentences[index], claimants)
            named = [(name, person) for name, person in named if name.split()[-1] not in speaking]
        if named:  # only pronouns with someone to resolve to need the transformer
            pending.append((index, (pronoun_start, pronoun_end), token, region, pronoun_span[0], people, named))
    if not pending:
        return
    # One encoder pass per region, for every mention any of its pronouns needs.
    wanted: list[dict[tuple[int, int], int]] = [{} for _ in regions]
    for _, _, _, region, pronoun, _, named in pending:
        for start, end in [(pronoun.idx, pronoun.idx + len(pronoun.text))] + [(p.start_char, p.end_char)
                                                                              for _, p in named]:
            wanted[region].setdefault((start, end), len(wanted[region]))
    vectors = token_encoder().encode([article.text[start:end] for start, end in regions],
                                     [list(spans) for spans in wanted])

    replaced: dict[tuple[int, str], bool] = {}
    for index, (start, end), token, region, pronoun, people, named in pending:
        region_start, doc, region_vectors, where = regions[region][0], docs[region], vectors[region], wanted[region]
        pronoun_vector = region_vectors[where[(pronoun.idx, pronoun.idx + len(pronoun.text))]]
        names = [name for name, _ in named]
        features = np.stack([pair_vector(parse_features(doc, pronoun, person, people), pronoun_vector,
                                         region_vectors[where[(person.start_char, person.end_char)]])
                             for _, person in named])
        probabilities = model.probabilities(features, [0] * len(named), names)
        best: dict[str, tuple[float, object]] = {}
        for (name, person), probability in zip(named, probabilities):
            if name not in best or probability > best[name][0]:
                best[name] = (float(probability), person)
        ranked = sorted(((p, name, person) for name, (p, person) in best.items()), key=lambda item: -item[0])
        probability, name, person = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        sentence = article.sentences[index]
        # One replacement per person and sentence; a name already in the sentence needs none.
        if (probability < model.threshold or runner_up >= 0.5 or replaced.get((index, name))
                or _names_before(article, sentence, start, name) or article.ambiguous(name, start)
                or _unrecognised_subject(article, index, start)):
            continue  # (a surname two people share names neither)
        replaced[(index, name)] = True
        rewrites.append(Rewrite(start, end, token.text, _pronoun_replacement(token, name, article.text, start),
                                "pronoun", probability, name, region_start + person.start_char,
                                region_start + person.end_char))


def _unrecognised_subject(article: _Article, index: int, before: int) -> bool:
    """Whether a proper noun the parser gave no name to is a subject in the pronoun's window ("Ellis, 23,
    won the 200 metres. … she thanked her coach" when the model missed both "Jade Ellis" and "Ellis"): the
    resolver never saw that person, so whoever it chose among the others may not be meant."""
    for sentence in article.sentences[max(0, index - _WINDOW_SENTENCES):index + 1]:
        for token in sentence.tokens:
            start, end = article.absolute(token, sentence)
            if (start < before and token.pos_ == "PROPN" and token.dep_ in ("nsubj", "nsubjpass")
                    and token.text[:1].isupper() and not _is_title_of_a_person(token)
                    and article.entity_at(start, end) is None):
                return True
    return False


def _speaker_surnames(article: _Article, sentence: _Sentence, claimants: dict[int, tuple[str | None, float]]) -> set[str]:
    """The surnames of whoever speaks the sentence: its claimant, and the person its speech verb's subject names."""
    names = set()
    claimant = claimants.get(sentence.start, (None, 0.0))[0]
    if claimant:
        names.add(claimant.split()[-1])
    _verb, subject = _governing_speech(sentence)
    if subject is not None:
        entity = article.entity_at(*article.absolute(subject, sentence))
        if entity is not None and entity[2] == "PERSON":
            names.add(_person_name(entity[3]).split()[-1])
    return names


def _names_before(article: _Article, sentence: _Sentence, before: int, name: str) -> bool:
    surname = name.split()[-1]
    return surname in article.text[sentence.start:before]


def _inside_quotation(text: str, position: int) -> bool:
    """Whether the position is inside a quotation of its paragraph."""
    paragraph_start = text.rfind("\n", 0, position) + 1
    before = text[paragraph_start:position]
    return (before.count("“") > before.count("”")) or before.count('"') % 2 == 1


def _pronoun_replacement(token, name: str, text: str, start: int) -> str:
    word = token.lower_
    possessive = word in ("his", "hers") or (word == "her" and token.dep_ == "poss")
    replacement = f"{name}'s" if possessive else name
    # Inside a quotation the speaker's words are not changed: the referent is
    # added in square brackets, as editors do.
    if _inside_quotation(text, start):
        return f"{token.text} [{name}]"
    return replacement


# ---------------------------------------------------------------------------
# Descriptions ("the group", "the report")
# ---------------------------------------------------------------------------

_DESCRIPTION_WINDOW = 3


def _description_heads(sentence: _Sentence):
    for token in sentence.tokens:
        noun = token.lower_
        if token.pos_ != "NOUN" or noun not in (_ORGANISATION_NOUNS | _NAMED_BY_ATTACHMENT | _COUNTRY_NOUNS):
            continue
        children = list(token.children)
        determiners = [c for c in children if c.dep_ == "det"]
        # Exactly "the <noun>": any other modifier ("the new report", "the
        # bank's") makes it a different, more specific description.
        others = [c for c in token.lefts if c.dep_ not in ("det", "case")]
        has_attachment = any(c.dep_ in ("prep", "acl", "relcl", "appos") for c in token.rights)
        # "The charity Alzheimer's Research UK welcomed …": a description followed by a name is that name's
        # title, whatever the parser made of the phrase (here two subjects), not a mention of someone before.
        following = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
        if following is not None and (following.pos_ == "PROPN" or following.ent_type_):
            continue
        if (len(determiners) == 1 and determiners[0].lower_ == "the" and determiners[0].i == token.i - 1
                and not others and not has_attachment):
            yield determiners[0], token


def _named_attachment(article: _Article, sentence: _Sentence, token) -> tuple[str, int, int] | None:
    """How an earlier mention of the same noun names it: "a report by the
    Institute for Fiscal Studies" -> "the Institute for Fiscal Studies report"-like
    wording, or None when that mention names nothing."""
    for child in token.rights:
        if child.dep_ == "prep" and child.lower_ in ("by", "from", "at", "of"):
            for obj in child.children:
                if obj.dep_ == "pobj":
                    entity = article.entity_at(*article.absolute(obj, sentence))
                    if entity and entity[2] in ("ORG", "PERSON", "GPE"):
                        name = _entity_with_article(article.text, entity[0], entity[3])
                        return f"the {token.lower_} {child.lower_} {name}", entity[0], entity[1]
    for child in token.lefts:
        if child.dep_ in ("poss", "compound"):
            entity = article.entity_at(*article.absolute(child, sentence))
            if entity and entity[2] in ("ORG", "PERSON", "GPE"):
                name = _entity_with_article(article.text, entity[0], entity[3])
                if name.lower().startswith("the "):
                    name = name[4:]
                return f"the {token.lower_} by {name}" if child.dep_ == "poss" else \
                    f"the {name} {token.lower_}", entity[0], entity[1]
    return None


def _resolve_descriptions(article: _Article, rewrites: list[Rewrite]) -> None:
    for index, sentence in enumerate(article.sentences):
        if not sentence.is_claim:
            continue
        used = False
        for determiner, noun in _description_heads(sentence):
            if used:
                break
            # The preceding sentences of this paragraph and the one before it.
            window = [earlier for earlier in article.sentences[max(0, index - _DESCRIPTION_WINDOW):index]
                      if sentence.paragraph - earlier.paragraph <= 1]
            found = _description_referent(article, window, sentence, noun, rewrites)
            if found is None:
                continue
            replacement, referent_start, referent_end = found
            start = article.absolute(determiner, sentence)[0]
            end = article.absolute(noun, sentence)[1]
            replacement = _in_place(replacement, determiner.is_sent_start)
            if _inside_quotation(article.text, start):
                replacement = f"{article.text[start:end]} [{replacement}]"
            rewrites.append(Rewrite(start, end, article.text[start:end], replacement, "description", 0.9,
                                    article.text[referent_start:referent_end], referent_start, referent_end))
            used = True


#: What a document is said to do ("It found …", "It said …"), for ``_resolve_documents``.
_DOCUMENT_VERBS = frozenset("find say show conclude estimate recommend warn note report suggest add state "
                            "describe urge reveal".split())
_DOCUMENT_NOUNS = frozenset("report study survey analysis review paper poll audit investigation inquiry".split())


def _resolve_documents(article: _Article, rewrites: list[Rewrite]) -> None:
    """"The report, by the auditors Hale & Rowe, said … It found that …": "it", the subject of what a
    document does (find, say, show …) right after a sentence in the same paragraph whose main subject was
    that document ("the report", "the study"), becomes the document's words as written there (without
    commas, at most ``_GROUP_WORDS``). Anything else — another subject in between, another paragraph, an
    "it" that is not the subject of such a verb — stays as written."""
    previous = None  # (sentence, subject token) of the sentence before, when its subject was a document
    for sentence in article.sentences:
        root = next((t for t in sentence.tokens if t.dep_ == "ROOT"), None)
        subject = _subject_of(root) if root is not None else None
        before, previous = previous, None
        if subject is None:
            continue
        if subject.lower_ in _DOCUMENT_NOUNS and subject.pos_ == "NOUN" and subject.tag_ == "NN" and any(
                c.dep_ == "det" and c.lower_ == "the" for c in subject.children):
            previous = (sentence, subject)
            continue
        if (before is None or not sentence.is_claim or subject.lower_ != "it" or subject.dep_ != "nsubj"
                or root.lemma_.lower() not in _DOCUMENT_VERBS or before[0].paragraph != sentence.paragraph
                or _quoted(sentence, subject)):
            continue
        earlier, document = before
        words = [t for t in document.doc[document.left_edge.i:document.right_edge.i + 1]
                 if not t.is_punct and t.text not in _QUOTES]
        if len(words) > _GROUP_WORDS or any(t.dep_ == "relcl" for t in words):
            continue
        text = " ".join(t.text for t in words).replace(" 's", "'s").replace(" ’s", "’s")
        start, end = article.absolute(subject, sentence)
        replacement = text[0].upper() + text[1:] if subject.is_sent_start else text[0].lower() + text[1:]
        referent_start, referent_end = (article.absolute(words[0], earlier)[0],
                                        article.absolute(words[-1], earlier)[1])
        rewrites.append(Rewrite(start, end, subject.text, replacement, "description", 0.9,
                                article.text[referent_start:referent_end], referent_start, referent_end))


def _is_title_of_a_person(token) -> bool:
    """"Dr" in "Dr Sian Morgan": a title the parser hangs on a person's name, not a name of its own."""
    return token.lower_.rstrip(".") in _TITLES and token.dep_ == "compound" and token.head.ent_type_ == "PERSON"


_SMALL_WORDS = frozenset("a an the of in on at to for and or but with from by as".split())


def _in_a_title(sentence: _Sentence, token) -> bool:
    """Whether the token is in quoted words written as a title ("Waiting in the Corridor", a report): the
    name of a work, not of an organisation or a country a description could mean."""
    if not _quoted(sentence, token):
        return False
    before = [t for t in sentence.tokens if t.i < token.i]
    opening = max(t.i for t in before if t.text in _QUOTES)
    closing = min((t.i for t in sentence.tokens if t.i > token.i and t.text in _QUOTES), default=None)
    if closing is None:
        return False
    words = [t for t in sentence.tokens if opening < t.i < closing and not t.is_punct]
    return 0 < len(words) <= 10 and words[0].text[:1].isupper() and all(
        t.text[:1].isupper() or t.lower_ in _SMALL_WORDS or not t.is_alpha for t in words)


#: Descriptions of a business ("the company") ...
_COMPANY_NOUNS = frozenset("company firm carmaker retailer airline insurer lender startup".split())
#: ... and words that make an organisation something else: a union, a government department, a charity.
_INSTITUTION_WORDS = frozenset(
    "department ministry council university college union association authority agency police party "
    "institute commission trust foundation society federation court parliament government office "
    "inspectorate regulator watchdog charity school hospital army navy".split())


#: Kinds of organisation that "the company" (or "the firm", "the carmaker" …) does not mean.
_NOT_A_COMPANY = _INSTITUTION_WORDS | (_ORGANISATION_NOUNS - _COMPANY_NOUNS - {"group", "organisation",
                                                                           "organization", "network"}) | {"broker"}


def _kinds_of(article: _Article, entity: tuple[int, int, str, str]) -> set[str]:
    """What an organisation is, by its own name ("Department for Transport") and by the nouns the article
    puts right before any mention of it ("the drivers' union Aslef", "the broker Peel Hunt")."""
    words = re.sub(r"['’]s$", "", entity[3]).strip().lower().split()
    known = article.kinds.get(tuple(words))
    if known is not None:
        return known
    kinds = article.kinds[tuple(words)] = set(words)
    if not words:
        return kinds
    for sentence in article.sentences:
        for token in sentence.tokens:
            # Any mention of the same words, whether or not the model tagged that one as a name.
            if token.lower_ != words[0] or token.i + len(words) > len(token.doc) or [
                    t.lower_ for t in token.doc[token.i:token.i + len(words)]] != words:
                continue
            before = token.doc[token.i - 1] if token.i > 0 else None
            if before is not None and before.pos_ == "NOUN":
                kinds.add(before.lower_)
    return kinds


def _description_referent(article: _Article, window: list[_Sentence], sentence: _Sentence, noun,
                          earlier_rewrites: Sequence[Rewrite] = ()):
    """The one compatible referent in the preceding sentences, or None (none,
    or more than one: then it is not clear which is meant). A description
    already resolved in the window ("The union said …") is a mention of its
    referent where it stands."""
    word = noun.lower_
    window_start = window[0].start if window else sentence.start
    before = article.absolute(noun, sentence)[0]
    if word in _NAMED_BY_ATTACHMENT:
        found = []
        for earlier in window + [sentence]:
            for token in earlier.tokens:
                if token.lower_ == word and article.absolute(token, earlier)[0] < before:
                    attachment = _named_attachment(article, earlier, token)
                    if attachment:
                        found.append(attachment)
        names = {text for text, _, _ in found}
        return found[-1] if len(names) == 1 else None
    if word in _ORGANISATION_NOUNS:
        labels = ("ORG",)
    else:
        labels = ("GPE",)
        # "the country" only after a country: a GPE the article calls a
        # country or nation by name is not knowable without a gazetteer, so a
        # GPE counts only when it is the only one in the window.
    # A name the article gives a person elsewhere ("Neil Hawkes … Hawkes was fined", where the small model
    # tags the surname alone as an organisation) is not an organisation or a country.
    candidates = [e for e in article.entities if e[2] in labels and window_start <= e[0] < before
                  and not article.is_person(re.sub(r"['’]s$", "", e[3]).strip())]
    mentions = [(e[0], e) for e in candidates]
    for rewrite in earlier_rewrites:
        if rewrite.kind == "description" and rewrite.referent_start is not None and window_start <= rewrite.start < before:
            entity = article.entity_at(rewrite.referent_start, rewrite.referent_end)
            if entity is not None and entity[2] in labels:
                mentions.append((rewrite.start, entity))
    names = {e[3].lower().removeprefix("the ") for _, e in mentions}
    if len(names) != 1:
        return None
    if word in _COUNTRY_NOUNS and any(e[2] == "NORP" and window_start <= e[0] < before for e in article.entities):
        return None  # "Kenyan President Samuel Otieno … Ethiopia's prime minister … The country": either
    entity = max(mentions)[1]
    # A proper noun the parser did not recognise as a name ("Acme Corp and
    # Globex") could be the referent too: then it is not clear which is meant.
    for earlier in window + [sentence]:
        for token in earlier.tokens:
            position = article.absolute(token, earlier)[0]
            if (token.pos_ != "PROPN" or not window_start <= position < before
                    or any(e[0] <= position < e[1] for e in candidates + [entity]) or _is_title_of_a_person(token)
                    or _in_a_title(earlier, token)):
                continue
            label = next((e[2] for e in article.entities if e[0] <= position < e[1]), None)
            if label not in _NOT_A_REFERENT_FOR[word in _ORGANISATION_NOUNS]:
                return None
            if word in _ORGANISATION_NOUNS and token.text in article.uncertain_names:
                return None  # "Farouk, who founded Lumora …, said the company": Lumora may be the company
            # A place that acts ("Harbour City have signed …", "France said …") may be the club, the
            # government or the company meant: then it is not clear which is meant either.
            acting = token.dep_ in ("nsubj", "nsubjpass") or (
                token.dep_ == "compound" and token.head.dep_ in ("nsubj", "nsubjpass"))
            if word in _ORGANISATION_NOUNS and label in ("GPE", "NORP", "LOC", "FAC") and acting:
                return None
    if word in _COMPANY_NOUNS and _kinds_of(article, entity) & _NOT_A_COMPANY:
        # "the drivers' union Aslef", "the Department for Transport", "analysts at the bank Mediobanca":
        # what the article calls a union, a department or a bank is not what it means by "the company".
        return None
    if word in _ORGANISATION_NOUNS and labels == ("ORG",) and word in ("university", "bank", "ministry",
                                                                        "department", "council", "party",
                                                                        "union", "institute", "airline"):
        # A specific noun needs a name that says it ("the ministry" -> "the Health Ministry").
        if word not in entity[3].lower():
            return None
    # The model may take a possessive into the name ("Aslef's general secretary"): the name alone replaces.
    name = re.sub(r"['’]s$", "", _entity_with_article(article.text, entity[0], entity[3])).strip()
    return name, entity[0], entity[1]


# ---------------------------------------------------------------------------
# Relative dates
# ---------------------------------------------------------------------------


def _format(day: date) -> str:
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def _clause_tense(token) -> str | None:
    """"past", "future" or "present" from the verb the date word belongs to
    (its own clause, never another clause of the sentence)."""
    verb = token.head
    while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
        verb = verb.head
    if verb.pos_ not in ("VERB", "AUX"):
        return None
    auxiliaries = [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
    words = {c.lower_ for c in auxiliaries}
    if words & {"will", "'ll", "’ll", "shall", "wo"}:
        return "future"
    if verb.tag_ in ("VBD",) or any(c.tag_ == "VBD" for c in auxiliaries):
        return "past"
    if verb.tag_ == "VBN" and words & {"has", "have", "had", "was", "were"}:
        return "past"
    if verb.tag_ == "VBG" and words & {"is", "are", "am"}:
        # "is going to", "are meeting on Friday": a present progressive of a plan.
        return "future"
    if _a_plan(verb, words):
        return "future"
    if verb.tag_ == "VB" and verb.dep_ == "xcomp" and _a_plan(
            verb.head, {c.lower_ for c in verb.head.children if c.dep_ in ("aux", "auxpass")}):
        # "is scheduled to vote on Monday", "is due to report on Thursday": the plan's own tense.
        return "future"
    if verb.tag_ in ("VBZ", "VBP") or words & {"is", "are", "am"}:
        return "present"
    return None


# Present-tense words of a plan or a deadline: "is expected on Friday", "is scheduled / set / planned / slated".
_PLANNED = frozenset("expect schedule set plan slate".split())


def _a_plan(word, auxiliaries: set[str]) -> bool:
    """Whether a present-tense clause announces something ahead, as "will" does: "The vote is expected on
    Friday", "The report is due on Thursday" (also "due" itself, heading "is due to report")."""
    if word.pos_ == "ADJ" and word.lower_ == "due" and word.dep_ == "acomp":
        word, auxiliaries = word.head, set()
    if word.lemma_ == "be" and word.tag_ in ("VBZ", "VBP"):
        return any(child.dep_ == "acomp" and child.lower_ == "due" for child in word.children)
    return (word.tag_ == "VBN" and word.lemma_.lower() in _PLANNED
            and bool(auxiliaries & {"is", "are", "am", "'s", "’s"}))


def _preposition_before(text: str, start: int) -> str | None:
    match = re.search(r"\b(\w+)\s+$", text[max(0, start - 15):start])
    return match.group(1).lower() if match else None


def _resolve_dates(article: _Article, published: date, rewrites: list[Rewrite]) -> None:
    for sentence in article.sentences:
        if not sentence.is_claim:
            continue
        tokens = sentence.tokens
        for position, token in enumerate(tokens):
            rewrite = _date_rewrite(article, sentence, tokens, position, token, published)
            if rewrite:
                rewrites.append(rewrite)


def _date_rewrite(article, sentence, tokens, position, token, published) -> Rewrite | None:
    word = token.lower_
    text = article.text
    start, end = article.absolute(token, sentence)
    previous = tokens[position - 1].lower_ if position > 0 else None
    following = tokens[position + 1] if position + 1 < len(tokens) else None
    # Already absolute ("on Sunday, Nov. 22", "Sunday 22 November").
    if following is not None and (following.like_num or following.ent_type_ == "DATE" and following.text[0].isdigit()
                                  or following.text == "," and position + 2 < len(tokens)
                                  and (tokens[position + 2].like_num or tokens[position + 2].text in _MONTH_NAMES
                                       or tokens[position + 2].text.rstrip(".") in {m[:3] for m in _MONTH_NAMES})):
        return None
    if _inside_quotation(text, start):
        return None
    tense = _clause_tense(token)
    if word in _WEEKDAYS:
        target = _WEEKDAYS.index(word)
        back = (published.weekday() - target) % 7
        ahead = (target - published.weekday()) % 7
        phrase_start = start
        if previous in ("last", "next", "this"):
            phrase_start = article.absolute(tokens[position - 1], sentence)[0]
        if previous in ("last", "next") and (back if previous == "last" else ahead) in (1, 2):
            # "last Thursday" in Friday's paper: yesterday would be "yesterday", so it may well mean the
            # week before; one or two days away, "last" and "next" are read both ways: the words stay.
            return None
        if previous == "last":
            day = published - timedelta(days=back or 7)
        elif previous == "next":
            day = published + timedelta(days=ahead or 7)
        elif previous == "this":
            return None  # "this Friday" can be either side of the publication day
        elif tense == "past" and previous in ("for", "by", "until", "till", "before"):
            # "more rain was forecast for Sunday", "the report was due by Friday": a day aimed at, which a
            # past tense does not put in the past; which side of the publication day it is stays unknown.
            return None
        elif tense == "past":
            day = published - timedelta(days=back)
        elif tense == "future" and ahead:
            day = published + timedelta(days=ahead)
        else:
            return None  # present tense, or no verb to read it from: leave it
        # "Sunday night" and "Sunday's election" keep their words together: "on Sunday night, 22 November
        # 2026," and "Sunday's (22 November 2026) election", never "Sunday, 22 November 2026's".
        after = position + 1
        if after < len(tokens) and tokens[after].lower_ in _PARTS_OF_DAY:
            end = article.absolute(tokens[after], sentence)[1]
            after += 1
        possessive = after < len(tokens) and tokens[after].text in ("'s", "’s")
        if possessive:
            end = article.absolute(tokens[after], sentence)[1]
        original = text[phrase_start:end]
        if possessive:
            return Rewrite(phrase_start, end, original, f"{original} ({_format(day)})", "date", 0.95)
        replacement = f"{original}, {_format(day)}"
        if end < len(text) and (text[end].isalnum() or text[end] == " "):
            replacement += ","  # "on Sunday, 22 November 2026, and ..."
        return Rewrite(phrase_start, end, original, replacement, "date", 0.95)
    if word in ("yesterday", "today", "tomorrow", "tonight"):
        if following is not None and following.text in ("'s", "’s"):
            return None
        offset = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}[word]
        day = published + timedelta(days=offset)
        phrase = f"on the night of {_format(day)}" if word == "tonight" else f"on {_format(day)}"
        if _preposition_before(text, start) in ("since", "until", "till", "by", "from", "before", "after",
                                                "through", "of", "for", "to", "on"):
            phrase = phrase.removeprefix("on ")
        if token.text[0].isupper():
            phrase = phrase[0].upper() + phrase[1:]
        return Rewrite(start, end, token.text, phrase, "date", 0.95)
    if word in ("year", "month") and previous in ("last", "next", "this") and position >= 1:
        determiner = tokens[position - 2].lower_ if position >= 2 else None
        # "in the last year", "over the past month", "this year's": periods and
        # possessives that are not a calendar year or month are left alone.
        if determiner in ("the", "a", "an", "each", "every", "per", "that", "of"):
            return None
        if following is not None and following.text in ("'s", "’s"):
            return None
        which = previous
        shift = {"last": -1, "this": 0, "next": 1}[which]
        if word == "year":
            when = str(published.year + shift)
        else:
            month_index = published.year * 12 + published.month - 1 + shift
            when = f"{_MONTH_NAMES[month_index % 12]} {month_index // 12}"
        phrase_start = article.absolute(tokens[position - 1], sentence)[0]
        preposition = _preposition_before(text, phrase_start)
        day_and_month = position >= 2 and word == "year" and (
            tokens[position - 2].text in _MONTH_NAMES
            # a day of the month ("March 14 last year"), not a fraction ("risen by a third this year")
            or tokens[position - 2].like_num and tokens[position - 2].text[:1].isdigit()
            and tokens[position - 2].ent_type_ == "DATE")
        if day_and_month:
            # "on 14 March last year" -> "on 14 March 2025", never "14 March in 2025".
            phrase = when
        elif determiner in ("earlier", "later"):
            phrase = f"in {when}"
        elif preposition in ("in", "since", "until", "till", "by", "from", "before", "after", "through",
                             "during", "for", "to", "of"):
            phrase = when
        else:
            phrase = f"in {when}"
        if tokens[position - 1].text[0].isupper():
            phrase = phrase[0].upper() + phrase[1:]
        return Rewrite(phrase_start, end, text[phrase_start:end], phrase, "date", 0.95)
    return None


# ---------------------------------------------------------------------------
# The publication's own voice ("our analysis", "we asked")
# ---------------------------------------------------------------------------

_OWN_VOICE = {"we": "subject", "us": "object", "our": "possessive"}


def _resolve_own_voice(article: _Article, outlet: str, reading: ArticleReading) -> None:
    """Outside quotation marks, in a sentence nobody else speaks, "we" and "our"
    are the publication's: "Our own analysis found …" -> "The Eastvale
    Courier's own analysis found …". Inside a quotation (or reported speech)
    they are the speaker's, and stay."""
    for sentence in article.sentences:
        if not sentence.is_claim or reading.claimant_of(sentence.start) is not None:
            continue
        verb, subject = _governing_speech(sentence)
        # What someone else is reported to have said ("The mayor said we should …") is their voice.
        reported = set()
        if verb is not None and subject is not None and subject.lower_ != "we":
            reported = {t.i for child in verb.children if child.dep_ in ("ccomp", "xcomp", "parataxis")
                        for t in child.subtree}
        for token in sentence.tokens:
            role = _OWN_VOICE.get(token.lower_)
            if role is None or token.pos_ != "PRON" or token.i in reported:
                continue
            start, end = article.absolute(token, sentence)
            if _inside_quotation(article.text, start) or any(r.start == start for r in reading.rewrites):
                continue
            name = f"{outlet}'s" if role == "possessive" else outlet
            if token.is_sent_start:
                name = name[0].upper() + name[1:]
            reading.rewrites.append(Rewrite(start, end, token.text, name, "description", 0.9, outlet))


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def read_article(text: str, paragraphs: Sequence[tuple[int, int, Sequence[tuple[int, int]]]], *,
                 claim_starts: set[int], published: date | None, model=None,
                 outlet: str | None = None) -> ArticleReading:
    """Parse the article once and propose its rewrites.

    ``paragraphs`` are (start, end, sentence spans) in article order;
    ``claim_starts`` the start offsets of the sentences that are candidate
    claims (only those get rewrites, but every sentence feeds the speakers);
    ``outlet`` the publication, whose own voice "we" and "our" are.
    """
    from factcheck.coref.model import shipped_coref_model

    model = model or shipped_coref_model()
    article = _Article(text, paragraphs, claim_starts)
    reading = ArticleReading()
    descriptions: list[Rewrite] = []
    _resolve_descriptions(article, descriptions)
    _resolve_documents(article, descriptions)
    reading.rewrites.extend(descriptions)
    speakers = _Speakers(article, {r.start: r for r in descriptions})
    for sentence in article.sentences:
        sentence_rewrites: list[Rewrite] = []
        name, confidence = speakers.read(sentence, sentence_rewrites)
        if sentence.is_claim:
            reading.claimants[sentence.start] = (name, confidence)
            reading.rewrites.extend(sentence_rewrites)
            ranges = reported_ranges(sentence.tokens)
            if ranges:
                reading.reported[sentence.start] = [(sentence.offset + start, sentence.offset + end)
                                                    for start, end in ranges]
    _resolve_pronouns(article, speakers, reading.rewrites, model, reading.claimants)
    # "… Lee Baxter said … The award went to a film directed by Sam Okafor. He said …": the
    # resolver may not hand such a pronoun back to the earlier speaker. Someone else was named since,
    # and going back past them is how words end up in the wrong mouth; the words stay as written.
    reading.rewrites = [r for r in reading.rewrites
                        if not (r.kind == "pronoun" and r.referent is not None
                                and speakers.displaced_speakers.get(r.start) == r.referent)]
    if outlet:
        _resolve_own_voice(article, outlet, reading)
    for rewrite in reading.rewrites:
        # A speaker pronoun the resolver settled names the sentence's claimant.
        sentence_start = speakers.speaker_pronouns.get(rewrite.start)
        if rewrite.kind == "pronoun" and sentence_start is not None and rewrite.confidence >= model.threshold:
            reading.claimants[sentence_start] = (rewrite.referent, rewrite.confidence)
    if published is not None:
        _resolve_dates(article, published, reading.rewrites)
    reading.rewrites = [r for r in reading.rewrites
                        if r.confidence >= (model.threshold if r.kind == "pronoun" else THRESHOLDS[r.kind])]
    reading.rewrites.sort(key=lambda r: (r.start, r.end))
    return reading
