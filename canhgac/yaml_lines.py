"""Where things are in a YAML file, so every problem can be reported as ``path:line:``.

One index for every YAML the project reads: the configuration (pydantic reports a key path,
this finds its line) and Sigma rules (pySigma reports what is wrong but rarely where; these
helpers find the line of the offending key, or failing that of a quoted fragment of the
message, in the rule's own text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

KeyPath = tuple[str | int, ...]

_QUOTED = re.compile(r"'([^']{1,200})'")
# libyaml's parser when PyYAML was built with it: parsing is most of loading a rule pack.
FAST_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class YamlLines:
    """Line numbers (1-based) of every mapping key and sequence item of a YAML text."""

    text: str
    keys: dict[KeyPath, int] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str) -> YamlLines:
        lines = cls(text)
        try:
            # Multi-document files (Sigma "action: global") are indexed document by document;
            # a key path is the first place it occurs.
            for node in yaml.compose_all(text, Loader=FAST_SAFE_LOADER):
                _index(node, (), lines.keys)
        except yaml.YAMLError:
            pass  # the parse error itself is reported elsewhere; keep what was indexed
        return lines

    def key(self, *path: str | int) -> int | None:
        """The line of ``path`` or of its nearest indexed ancestor."""
        for end in range(len(path), 0, -1):
            line = self.keys.get(path[:end])
            if line is not None:
                return line
        return None

    def containing(self, fragment: str, start: int = 1) -> int | None:
        """The first line from ``start`` on containing ``fragment``."""
        for number, line in enumerate(self.text.splitlines(), start=1):
            if number >= start and fragment in line:
                return number
        return None

    def quoted_in(self, message: str, start: int = 1) -> int | None:
        """The first line from ``start`` on holding a fragment quoted ('...') in ``message``."""
        for fragment in _QUOTED.findall(message):
            line = self.containing(fragment, start)
            if line is not None:
                return line
        return None


def _index(node: yaml.Node | None, prefix: KeyPath, out: dict[KeyPath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            out.setdefault(key, key_node.start_mark.line + 1)
            _index(value_node, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            key = (*prefix, position)
            out.setdefault(key, item.start_mark.line + 1)
            _index(item, key, out)
