"""Word a claim so that it stands alone, outside the article it came from.

A checker (and the matcher, which embeds the wording) must understand a claim
without reading the article: who "he" and "the group" are, which Sunday "on
Sunday" was, and who said it. This module is pure (standard library only) and
works sentence by sentence with an `ArticleContext` that remembers what the
article has named so far:

- the claimant of reported speech ("X said", "according to X", "X told Y"),
  with "he"/"she" speakers resolved to the last person the article named;
- pronouns and descriptions at the start of a sentence ("He", "They", "The
  group") replaced by the person or organisation named before;
- relative dates ("on Sunday", "yesterday", "last year") made absolute from
  the article's publication date;
- a quotation followed by its attribution turned into reported speech;
- a sentence that joins two checkable assertions split into two clauses, each
  with its own span (`split_assertions`).

Every rule is conservative: when a rule is not sure, the words stay as written,
because a wrong substitution misleads the checker more than a pronoun does.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

__all__ = [
    "MONTHS",
    "WEEKDAYS",
    "ArticleContext",
    "Clause",
    "capitalised_mid_sentence",
    "find_claimant",
    "resolve_relative_dates",
    "split_assertions",
    "strip_dateline",
]

MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|"
    "November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_MONTH_NAMES = MONTHS.split("|")[:12]
_WEEKDAY_NAMES = WEEKDAYS.split("|")

_DATELINE = re.compile(
    rf"^(?=[A-Z]{{3}})[A-Z][A-Z.'’\- ]+[A-Z.](?:,\s*(?:{MONTHS})\.?\s+\d{{1,2}})?"
    r"\s*(?:\([^()]{2,40}\))?\s*[-—–]+\s+"
)


def strip_dateline(sentence: str) -> str:
    """The sentence without a leading "WASHINGTON (Reuters) —" dateline."""
    return _DATELINE.sub("", sentence)


# ---------------------------------------------------------------------------
# Names and claimants
# ---------------------------------------------------------------------------

# Python's re has no \p{Lu}; this covers Latin (with accents), Greek and
# Cyrillic capitals so that names such as "Núñez" or "Łukasz" are recognised.
_UPPER = "[" + re.escape("".join(c for c in map(chr, range(0x530)) if c.isupper())) + "]"
_NAME_TOKEN = rf"{_UPPER}(?:[\w'’\-]|\.(?=\w))*\.?"
_NAME_CONNECTOR = r"(?:of|for|and|on|de|da|del|der|van|von|bin|al|le|la|du|y)"
_NAME = rf"(?:the\s+)?{_NAME_TOKEN}(?:\s+(?:{_NAME_CONNECTOR}\s+(?:the\s+)?)?{_NAME_TOKEN})*"
_SPEECH_VERBS = (
    "said|says|told|tells|stated|added|noted|wrote|writes|argued|argues|claimed|claims|"
    "announced|explained|insisted|warned|tweeted|acknowledged|confirmed|reported|"
    "estimated|estimates|testified|declared|asserted|maintained|contended|countered|"
    "replied|responded|predicted|concluded|recalled|admitted|denied|alleged|asked|"
    "conceded|emphasized|emphasised|stressed"
)
_SPEAKER_THEN_VERB = re.compile(
    rf"(?P<name>{_NAME})(?:\s*,\s*[^,\"“”]{{2,80}}?,)?"
    r"(?:\s+(?:has|had|have|also|later|previously|earlier|repeatedly|then))*"
    rf"\s+(?:{_SPEECH_VERBS})\b"
)
_VERB_THEN_SPEAKER = re.compile(
    r"\b(?:said|says|added|wrote|explained|noted|argued|warned|insisted)"
    rf"\s+(?P<name>{_NAME})(?=\s*(?:[,.;:!?]|$)|\s+(?:in|on|at|during|after|who|from)\b)"
)
_ACCORDING_TO = re.compile(
    r"\baccording to\s+(?:(?:new\s+|recent\s+|official\s+|preliminary\s+)?"
    r"(?:data|figures|estimates|statistics|a report|a study|a survey|a statement|a poll|"
    r"an analysis|documents|records|research|a spokesman|a spokeswoman|a spokesperson)"
    rf"\s+(?:from|by|for|at|released by|published by)\s+)?(?P<name>{_NAME})"
)
_ATTRIBUTION = re.compile(rf"\baccording to\b|\b(?:{_SPEECH_VERBS})\b")
_QUOTED_PASSAGE = re.compile(r"“[^“”]*”|\"[^\"]*\"")
_NAME_SUFFIX_ABBREVIATIONS = frozenset({"Jr.", "Sr.", "Inc.", "Co.", "Corp.", "Ltd.", "Bros."})
_INITIALISM = re.compile(r"(?:[A-Z]\.){2,}$")
# Capitalised only because they open the sentence, not part of the name.
_LEADING_NON_NAME_WORDS = frozenset(
    "the a an but and or so yet still however meanwhile later earlier then now also in on "
    "at for from with after before when while as since last this that yesterday today "
    "tonight separately speaking here there".split()
)
_TITLES = frozenset(
    "president vice prime minister secretary gov governor sen senator rep representative "
    "mayor dr prof professor chief director ceo chairman chairwoman chair chancellor judge "
    "justice gen lt col colonel capt captain sgt sergeant officer commissioner executive "
    "spokesman spokeswoman spokesperson mr mrs ms sir dame king queen pope prince princess "
    "ambassador attorney speaker leader premier deputy assistant acting former interim "
    "coach detective inspector superintendent sheriff councilman councilwoman councillor "
    "councilor rev reverend bishop cardinal rabbi imam".split()
)
# A phrase ending in one of these names an institution ("the Justice
# Department"), so a title-like word inside it is not a title to strip.
_INSTITUTION_WORDS = frozenset(
    "department ministry office court agency committee council commission party service "
    "bureau administration government authority board house senate company".split()
)
# Any of these inside a name makes it an organisation rather than a person.
_ORGANISATION_WORDS = _INSTITUTION_WORDS | frozenset(
    "organization organisation group association union institute university college "
    "bank fund foundation corporation corp inc ltd co plc llc network alliance coalition "
    "federation league society trust centre center agency police army navy airlines "
    "statistics labor labour health".split()
)
_PRONOUNS = frozenset("he she they it we i you".split())
# Capitalised at the start of a sentence but not a *named* source.
_GENERIC_SOURCES = frozenset(
    "officials police authorities experts critics analysts researchers scientists witnesses "
    "residents sources investigators prosecutors doctors economists observers supporters "
    "opponents protesters others some many both people aides advocates organizers "
    "organisers lawyers employees workers officers neighbors neighbours parents teachers "
    "students voters locals staff".split()
)
_DATE_WORDS = frozenset(f"{MONTHS}|{WEEKDAYS}".lower().split("|"))
_WORD_WITH_POSITION = re.compile(r"[^\W\d_][\w'’\-]*")
_FIRST_PERSON_I = frozenset({"I", "I'm", "I’m", "I've", "I’ve", "I'd", "I’d", "I'll", "I’ll"})


def _mask_quoted(sentence: str) -> str:
    """Blank out quoted passages (keeping offsets) so that "X said" inside a
    quotation is not taken for the attribution of the sentence itself."""
    return _QUOTED_PASSAGE.sub(
        lambda match: match.group()[0] + " " * (len(match.group()) - 2) + match.group()[-1],
        sentence,
    )


def _is_title(tokens: list[str], index: int) -> bool:
    """"Health Minister", "Secretary-General", "Attorney General": "General"
    is a title only after another title, so "General Motors" stays a name."""
    word = tokens[index].rstrip(".").lower()
    if word == "general":
        return index > 0 and _is_title(tokens, index - 1)
    return any(part in _TITLES or part.removesuffix("s") in _TITLES for part in word.split("-"))


def _clean_name(raw: str) -> str | None:
    """Reduce a matched speaker phrase to the name of who is speaking, or None
    when it is a pronoun, a generic group or a bare title ("the President")."""
    tokens = raw.split()
    last = tokens[-1]
    keeps_period = last in _NAME_SUFFIX_ABBREVIATIONS or _INITIALISM.search(last)
    if last.endswith(".") and not keeps_period:
        tokens[-1] = last[:-1]
    tokens[-1] = re.sub(r"['’]s$", "", tokens[-1])
    while tokens and (
        tokens[0].lower() in _LEADING_NON_NAME_WORDS
        or tokens[0].rstrip(".").lower() in _DATE_WORDS
    ):
        tokens.pop(0)
    if not tokens:
        return None
    title_positions = [i for i, token in enumerate(tokens) if _is_title(tokens, i)]
    if title_positions and tokens[-1].lower() not in _INSTITUTION_WORDS:
        after_title = tokens[title_positions[-1] + 1 :]
        if not after_title:
            return None
        # "Secretary of State Antony Blinken": cutting after the title would
        # leave "of State ...", so such names are kept as written.
        if not any(token.lower() in {"of", "for"} for token in after_title):
            tokens = after_title
    if len(tokens) == 1 and tokens[0].lower() in _PRONOUNS | _GENERIC_SOURCES:
        return None
    return " ".join(tokens)


def find_claimant(sentence: str) -> tuple[str | None, bool]:
    """Return (named claimant or None, whether the sentence reports speech)."""
    masked = _mask_quoted(sentence)
    if not _ATTRIBUTION.search(masked):
        return None, False
    for pattern in (_SPEAKER_THEN_VERB, _VERB_THEN_SPEAKER, _ACCORDING_TO):
        for match in pattern.finditer(masked):
            name = _clean_name(match.group("name"))
            if name:
                return name, True
    return None, True


# All-capital words that are not organisations.
_NON_ORGANISATION_ACRONYMS = frozenset(
    "CEO TV ET GMT UTC AM PM COVID GDP OK US UK USA ID".split()
)


def _is_organisation(name: str) -> bool:
    """"the World Health Organization", "Acme Corp.", "NATO"; not "U.S."."""
    words = [word.strip(".,").lower() for word in name.split()]
    acronym = (
        2 <= len(name) <= 6 and name.isalpha() and name.isupper()
        and name not in _NON_ORGANISATION_ACRONYMS
    )
    return acronym or any(word in _ORGANISATION_WORDS for word in words)


def capitalised_mid_sentence(sentence: str) -> list[str]:
    """Words capitalised for a reason other than opening the sentence or a
    quotation: names of people, places, organisations, months and days."""
    words = []
    for index, match in enumerate(_WORD_WITH_POSITION.finditer(sentence)):
        word = match.group()
        if index == 0 or not word[0].isupper() or word in _FIRST_PERSON_I:
            continue
        before = match.start() - 1
        while before >= 0 and sentence[before].isspace():
            before -= 1
        if before >= 0 and sentence[before] in "\"“‘(:":
            continue
        words.append(word)
    return words


# People named with a title ("Mayor Ana Núñez") or introduced by an apposition
# ("Priya Patel, an economist at ...") are people even when they do not speak.
_TITLED_NAME = re.compile(
    rf"\b(?:{'|'.join(sorted(t.capitalize() for t in _TITLES))})\.?\s+"
    rf"(?P<name>{_NAME_TOKEN}(?:\s+{_NAME_TOKEN}){{0,2}})"
)
_APPOSITION = re.compile(
    rf"(?P<name>{_NAME_TOKEN}\s+{_NAME_TOKEN}(?:\s+{_NAME_TOKEN})?),\s+(?:an?|the|who)\s+[a-z]"
)
_ORGANISATION_NAME = re.compile(
    rf"(?P<name>(?:the\s+)?{_NAME_TOKEN}(?:\s+(?:(?:of|for|and|on)\s+(?:the\s+)?)?{_NAME_TOKEN})*)"
)


# ---------------------------------------------------------------------------
# Relative dates
# ---------------------------------------------------------------------------

_FUTURE = re.compile(
    r"\b(?:will|won['’]t|shall|(?:is|are) (?:expected|scheduled|due|set|going) to|"
    r"plans? to|next)\b|['’]ll\b",
    re.IGNORECASE,
)
_FOLLOWED_BY_DATE = rf"(?!,?\s+(?:\d|(?:{MONTHS})\b|the\s+\d))"
_WEEKDAY_PHRASE = re.compile(rf"\b(?:(?P<which>last|next|this)\s+)?(?P<day>{WEEKDAYS})\b{_FOLLOWED_BY_DATE}")
_PREPOSITION_BEFORE = re.compile(
    r"\b(?:in|on|since|until|till|by|from|before|after|through|during|of|for|to)\s+$", re.IGNORECASE
)
_RELATIVE_DAY = re.compile(r"\b(?P<word>[Yy]esterday|[Tt]oday|[Tt]omorrow|[Tt]onight)\b(?!['’]s)")
_RELATIVE_PERIOD = re.compile(
    r"\b(?P<earlier>earlier |later )?(?P<which>[Ll]ast|[Tt]his|[Nn]ext)\s+(?P<unit>year|month)"
    r"(?P<possessive>['’]s)?\b"
)


def _format_date(day: date) -> str:
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def _weekday_date(published: date, weekday: str, which: str | None, future: bool) -> date:
    """News convention: a bare weekday is the most recent one (the publication
    day included) unless the sentence speaks of the future; "last"/"next"
    always look back/forward at least one day."""
    target = _WEEKDAY_NAMES.index(weekday)
    back = (published.weekday() - target) % 7
    ahead = (target - published.weekday()) % 7
    if which == "last":
        return published - timedelta(days=back or 7)
    if which == "next":
        return published + timedelta(days=ahead or 7)
    return published + timedelta(days=ahead) if future else published - timedelta(days=back)


def _shift_month(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def resolve_relative_dates(text: str, published: date | None) -> str:
    """Make "on Sunday", "yesterday", "last year" absolute from the publication
    date: "on Sunday" -> "on Sunday, 22 November 2026", "yesterday" ->
    "on 21 November 2026", "last year" -> "in 2025". Without a publication
    date the text is returned unchanged."""
    if published is None:
        return text
    future = bool(_FUTURE.search(text))

    def weekday(match: re.Match) -> str:
        which = match.group("which")
        which = which.lower() if which else None
        day = _weekday_date(published, match.group("day"), which, future)
        return f"{match.group()}, {_format_date(day)}"

    def relative_day(match: re.Match) -> str:
        word = match.group("word").lower()
        offset = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}[word]
        when = _format_date(published + timedelta(days=offset))
        phrase = f"on the night of {when}" if word == "tonight" else f"on {when}"
        if _PREPOSITION_BEFORE.search(match.string, 0, match.start()):
            phrase = phrase.removeprefix("on ")
        return phrase[0].upper() + phrase[1:] if match.group("word")[0].isupper() else phrase

    def period(match: re.Match) -> str:
        which = match.group("which").lower()
        offset = {"last": -1, "this": 0, "next": 1}[which]
        if match.group("unit") == "year":
            when = str(published.year + offset)
        else:
            year, month = _shift_month(published, offset)
            when = f"{_MONTH_NAMES[month - 1]} {year}"
        if match.group("possessive"):
            return f"{match.group('earlier') or ''}{when}'s"
        if match.group("earlier"):
            return f"{match.group('earlier')}in {when}"
        if _PREPOSITION_BEFORE.search(match.string, 0, match.start()):
            return when
        phrase = f"in {when}"
        return phrase[0].upper() + phrase[1:] if match.group("which")[0].isupper() else phrase

    text = _WEEKDAY_PHRASE.sub(weekday, text)
    text = _RELATIVE_DAY.sub(relative_day, text)
    return _RELATIVE_PERIOD.sub(period, text)


# ---------------------------------------------------------------------------
# What the article has named so far
# ---------------------------------------------------------------------------

# "the ministry" only stands for an organisation whose name says "Ministry";
# the generic nouns stand for any organisation.
_SPECIFIC_NOUNS = (
    "agency|ministry|department|bureau|union|party|bank|institute|association|committee|"
    "council|commission|authority"
)
_GENERIC_NOUNS = "group|organi[sz]ation|company|firm|charity|campaign|network|alliance|coalition"
_DESCRIPTION = re.compile(
    rf"\b[Tt]he\s+(?P<noun>{_SPECIFIC_NOUNS}|{_GENERIC_NOUNS})\b(?!\s+(?:of|for)\b|\s+{_UPPER}|['’])"
)
_LEADING_PERSON_PRONOUN = re.compile(r"^(?:He|She)\b(?=\s+[a-z])")
_SPEAKER_PRONOUN = re.compile(
    rf"(?P<before>[,;”\"’]\s)(?:he|she)(?=\s+(?:(?:has|had|also|later|then)\s+)*(?:{_SPEECH_VERBS})\b)"
    r"|(?P<verb>\b(?:said|added|wrote)\s)(?:he|she)\b"
)
_LEADING_THEY = re.compile(r"^They\b(?=\s+[a-z])")


@dataclass
class ArticleContext:
    """The people and organisations an article has named so far, and its date.

    Feed every sentence of the article, in order, to `read` (claims and
    non-claims alike: a name in a caption still introduces a person); ask for
    a claim's wording with `standalone` *before* reading that sentence, so a
    pronoun resolves to an earlier mention and not to itself.
    """

    published: date | None = None
    proper_words: frozenset[str] = frozenset()
    last_person: str | None = None
    last_organisation: str | None = None
    # Which kind of entity the previous sentence named last: "They" at the
    # start of a sentence refers to an organisation only straight after one.
    _previous_sentence_kind: str | None = field(default=None, init=False, repr=False)

    def read(self, sentence: str) -> None:
        """Remember the people and organisations this sentence names."""
        sentence = strip_dateline(sentence)
        mentions: list[tuple[int, str, str]] = []
        for pattern in (_TITLED_NAME, _APPOSITION):
            for match in pattern.finditer(sentence):
                name = _clean_name(match.group("name"))
                if name and not _is_organisation(name):
                    mentions.append((match.start("name"), "person", name))
        for match in _ORGANISATION_NAME.finditer(sentence):
            name = _clean_name(match.group("name"))
            if name and _is_organisation(name):
                if match.group("name").lower().startswith("the ") and not name.lower().startswith("the "):
                    name = f"the {name}"
                mentions.append((match.start("name"), "organisation", name))
        claimant, _ = find_claimant(sentence)
        if claimant and not _is_organisation(claimant):
            full_name = self._full_name(claimant, mentions)
            # People are introduced with a full name and later called by their
            # surname, so a one-word speaker nobody was introduced as
            # ("Greenpeace said") is an organisation.
            kind = "organisation" if " " not in full_name else "person"
            mentions.append((sentence.find(claimant), kind, full_name))
        mentions.sort()
        for _, kind, name in mentions:
            if kind == "person":
                self.last_person = name
            else:
                self.last_organisation = name
        self._previous_sentence_kind = mentions[-1][1] if mentions else None

    def _full_name(self, name: str, mentions: Sequence[tuple[int, str, str]] = ()) -> str:
        """"Patel" after "Priya Patel" is Priya Patel."""
        known_people = [known for _, kind, known in mentions if kind == "person"]
        for known in known_people + [self.last_person or ""]:
            if known.endswith(" " + name):
                return known
        return name

    def claimant(self, sentence: str) -> str | None:
        """The named speaker of reported speech. A speaker the sentence does not
        name ("he said", "the group said") is resolved as in `resolve_references`."""
        name, reports_speech = find_claimant(sentence)
        if name is None and reports_speech:
            name, _ = find_claimant(self.resolve_references(sentence))
        if name is None or _is_organisation(name):
            return name
        return self._full_name(name)

    def resolve_references(self, text: str) -> str:
        """Replace a sentence-initial "He"/"She"/"They", a "he said" speaker and
        the first "the group"-like description by the entity named before."""
        person, organisation = self.last_person, self.last_organisation
        if person:
            text = _LEADING_PERSON_PRONOUN.sub(person, text, count=1)
            text = _SPEAKER_PRONOUN.sub(
                lambda match: (match.group("before") or match.group("verb")) + person, text, count=1
            )
        if organisation:
            if self._previous_sentence_kind == "organisation":
                text = _LEADING_THEY.sub(_sentence_initial(organisation), text, count=1)
            text = _DESCRIPTION.sub(lambda match: self._describe(match, organisation), text, count=1)
        return text

    @staticmethod
    def _describe(match: re.Match, organisation: str) -> str:
        noun = match.group("noun").lower()
        generic = re.fullmatch(_GENERIC_NOUNS, noun)
        if not generic and noun not in organisation.lower():
            return match.group()
        return _sentence_initial(organisation) if match.start() == 0 else organisation

    def with_speaker(self, frame: str, text: str) -> str:
        """"Jane Doe said" + "Prices rose." -> "Jane Doe said prices rose.", for a
        clause split from a sentence whose attribution it no longer contains."""
        return f"{frame} {_lowercase_first_word(text, self.proper_words)}"

    def standalone(self, sentence: str, claimant: str | None) -> str:
        """The sentence reworded to stand alone (see the module docstring)."""
        text = _reported_speech(_unwrap_quotes(strip_dateline(" ".join(sentence.split()))),
                                claimant, self.proper_words)
        return resolve_relative_dates(self.resolve_references(text), self.published)


def _sentence_initial(name: str) -> str:
    return name[0].upper() + name[1:]


# ---------------------------------------------------------------------------
# Quotations
# ---------------------------------------------------------------------------

# Words that are never names even when an article capitalises them mid-sentence
# (as in "The New York Times"), so a quotation starting with them is lowered.
_CLOSED_CLASS_WORDS = _LEADING_NON_NAME_WORDS | _PRONOUNS | frozenset(
    "our my your his her their its there these those we us".split()
)
_PERSONAL_PRONOUN = re.compile(
    r"\b(?:I|me|my|mine|we|us|our|ours|you|your|yours)\b|\bI['’]", re.IGNORECASE
)
_WRAPPING_QUOTES = {'"': '"', "“": "”", "‘": "’"}
_REPORTED_VERBS = "said|says|added|wrote|explained|noted|argued|warned|insisted"
_QUOTE_THEN_ATTRIBUTION = re.compile(
    r"^[\"“](?P<quote>[^\"“”]+?),[\"”]\s+(?:"
    rf"(?P<speaker>{_NAME}|he|she)\s+(?P<verb>{_REPORTED_VERBS}|told)"
    r"(?P<tail>(?:\s+[^\s\"“”,.]+){0,6})"
    rf"|(?P<verb_first>{_REPORTED_VERBS})\s+(?P<speaker_last>{_NAME}))\.$"
)


def _unwrap_quotes(text: str) -> str:
    """Remove quote marks around the whole sentence, but only when they are the
    only ones, so that two separate quotations are never merged into one."""
    if len(text) >= 2 and _WRAPPING_QUOTES.get(text[0]) == text[-1]:
        inner = text[1:-1]
        if not any(mark in inner for mark in (text[0], text[-1])):
            return inner.strip()
    return text


def _lowercase_first_word(text: str, proper_words: frozenset[str]) -> str:
    """Lower-case the quote's first word when it is capitalised only because it
    opened the quotation; names ("Smith"), acronyms and "I" stay as they are."""
    first = _WORD_WITH_POSITION.match(text)
    if not first:
        return text
    word = first.group()
    is_name = word in proper_words and word.lower() not in _CLOSED_CLASS_WORDS
    if word in _FIRST_PERSON_I or is_name or sum(c.isupper() for c in word) > 1:
        return text
    return text[0].lower() + text[1:]


def _reported_speech(text: str, claimant: str | None, proper_words: frozenset[str]) -> str:
    """Turn '"Quote," X said.' into 'X said quote.'; anything less clear-cut
    is left as written."""
    match = _QUOTE_THEN_ATTRIBUTION.match(text)
    # In reported speech "we"/"I"/"you" would read as the newsroom's words.
    if not match or claimant is None or _PERSONAL_PRONOUN.search(match.group("quote")):
        return text
    quote = _lowercase_first_word(match.group("quote").strip(), proper_words)
    if match.group("verb_first"):
        lead = f"{match.group('speaker_last')} {match.group('verb_first')}"
    else:
        speaker = match.group("speaker")
        # "he" and a bare "Patel" become the claimant's full name.
        if speaker.lower() in ("he", "she") or claimant.endswith(" " + speaker):
            speaker = claimant
        tail = match.group("tail")
        lead = f"{speaker} {match.group('verb')}{tail}"
        if tail or match.group("verb") == "told":
            lead += " that"
    return f"{lead[0].upper()}{lead[1:]} {quote}."


# ---------------------------------------------------------------------------
# Sentences that join two assertions
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    start: int  # offsets into the sentence; sentence[start:end] is the clause
    end: int
    # "X said" framing the whole sentence, to repeat in front of a later
    # clause so that it keeps its attribution when it stands alone.
    speech_frame: str | None = None


_JOINT = re.compile(r"(?:,\s+(?:and|but|while|whereas)|;\s+(?:and\s+|but\s+|while\s+)?)\s*(?=\S)")
# A clause asserts something on its own when it has a subject and a finite
# verb ("the city added", "unemployment fell", "its debt is"): it must not
# start with the verb ("and added 300 jobs" shares the subject before it).
_FINITE_VERB = re.compile(
    r"\b(?:is|are|was|were|has|have|had|did|does|rose|fell|grew|dropped|declined|increased|"
    r"decreased|reached|added|lost|won|cost|spent|paid|killed|died|doubled|tripled|halved|"
    r"[a-z]{3,}ed)\b"
)
_VERB_FIRST = re.compile(r"^(?:\w+ing\b|\w+ed\b|to\b)|" + _FINITE_VERB.pattern)
_FRAME = re.compile(rf"^(?P<frame>{_NAME}\s+(?:{_SPEECH_VERBS})(?:\s+that)?)\s+(?=[a-z])")
_CHECKABLE_CUE = re.compile(
    r"\d|\b(?:percent|per cent|million|billion|trillion|doubled|tripled|halved|more than|"
    r"less than|fewer than|record)\b",
    re.IGNORECASE,
)


def _is_assertion(clause: str) -> bool:
    words = clause.split()
    return (
        len(words) >= 4
        and not _VERB_FIRST.match(clause)
        and bool(_FINITE_VERB.search(" ".join(words[1:7])))
        and bool(_CHECKABLE_CUE.search(clause))
    )


def split_assertions(sentence: str) -> list[Clause]:
    """Split a sentence at ", and" / "; " / ", but" / ", while" when both sides
    are checkable assertions with their own subject and verb ("Unemployment
    fell to 3 percent, and the city added 12,000 jobs."). Joints inside a
    quotation are never split. Returns one clause for the whole sentence
    when nothing is split."""
    masked = _mask_quoted(sentence)
    frame_match = _FRAME.match(masked)
    frame = frame_match.group("frame") if frame_match else None
    bounds: list[tuple[int, int]] = []
    start = 0
    for joint in _JOINT.finditer(masked):
        next_joint = _JOINT.search(masked, joint.end())
        right = sentence[joint.end() : next_joint.start() if next_joint else len(sentence)]
        left_start = frame_match.end() if frame_match and start == 0 else start
        if _is_assertion(sentence[left_start : joint.start()]) and _is_assertion(right):
            bounds.append((start, joint.start()))
            start = joint.end()
    bounds.append((start, len(sentence)))
    return [
        Clause(clause_start, clause_end, frame if index else None)
        for index, (clause_start, clause_end) in enumerate(bounds)
    ]
