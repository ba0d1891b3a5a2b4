"""A strict little HTML tree for the tests: every element closed in order, or ParseError."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
# Elements whose end tag HTML lets one leave out; the page closes them anyway.
SVG_SELF_CLOSING = {"rect", "path", "line", "circle"}


class ParseError(AssertionError):
    pass


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    content: list[Node | str] = field(default_factory=list)  # elements and text, in order

    @property
    def children(self) -> list[Node]:
        return [item for item in self.content if isinstance(item, Node)]

    @property
    def text(self) -> str:
        return "".join(item if isinstance(item, str) else item.text for item in self.content)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def iter(self):
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for node in self.iter():
            if tag is not None and node.tag != tag:
                continue
            if "class_" in attrs and attrs["class_"] not in node.classes():
                continue
            if any(node.attrs.get(k) != v for k, v in attrs.items() if k != "class_"):
                continue
            found.append(node)
        return found

    def by_id(self, identifier: str) -> Node:
        found = self.find_all(id=identifier)
        if len(found) != 1:
            raise AssertionError(f"{len(found)} elements with id {identifier!r}")
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        identifier = node.attrs.get("id")
        if identifier:
            if identifier in self.ids:
                raise ParseError(f"duplicate id {identifier!r} at line {self.getpos()[0]}")
            self.ids.add(identifier)
        self.stack[-1].content.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.stack[-1].tag != tag:
            raise ParseError(f"</{tag}> closes <{self.stack[-1].tag}> at line {self.getpos()[0]}")
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].content.append(data)


def parse(text: str) -> Node:
    builder = _Builder()
    builder.feed(text)
    builder.close()
    if len(builder.stack) != 1:
        raise ParseError(f"unclosed <{builder.stack[-1].tag}>")
    return builder.root
