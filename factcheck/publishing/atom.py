"""Build the Atom feed (RFC 4287) of published checks with lxml (pure: no Flask, no database).

The XML is made by a serializer, never by pasting text into a template, so
claim text and summaries are escaped whatever they contain (markup, ``]]>``,
quotes). Characters XML 1.0 cannot carry at all (most C0 control characters,
lone surrogates, U+FFFE/U+FFFF) are left out of the text: nothing else is
changed. Times are RFC 3339 with their offset (UTC).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
# Everything outside XML 1.0's Char production.
_NOT_XML_CHAR = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def xml_text(value: str | None) -> str:
    """``value`` with the characters XML cannot represent removed."""
    return _NOT_XML_CHAR.sub("", value or "")


def rfc3339(value: datetime) -> str:
    """An RFC 3339 timestamp in UTC; a naive value is taken to be UTC already (how the app stores times)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


@dataclass(frozen=True)
class AtomEntry:
    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    summary: str


def build_atom(*, title: str, feed_id: str, home_url: str, self_url: str, author: str,
               entries: list[AtomEntry]) -> bytes:
    """The feed document as UTF-8 bytes with an XML declaration."""
    def element(parent, name: str, text: str | None = None, **attributes):
        node = etree.SubElement(parent, f"{{{ATOM_NS}}}{name}", {k: xml_text(v) for k, v in attributes.items()})
        if text is not None:
            node.text = xml_text(text)
        return node

    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    element(feed, "title", title)
    element(feed, "id", feed_id)
    element(feed, "link", rel="alternate", href=home_url)
    element(feed, "link", rel="self", href=self_url)
    element(feed, "updated", rfc3339(max((e.updated for e in entries), default=EPOCH)))
    for entry in entries:
        node = element(feed, "entry")
        element(node, "id", entry.id)
        element(node, "title", entry.title)
        element(node, "link", rel="alternate", href=entry.link)
        element(node, "published", rfc3339(entry.published))
        element(node, "updated", rfc3339(entry.updated))
        element(element(node, "author"), "name", author)
        element(node, "summary", entry.summary)
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)
