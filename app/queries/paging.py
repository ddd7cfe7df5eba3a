"""Pages of long lists (the officers' proposals list, the ranking): which rows a page shows, whatever the size of the
list, so that a page of a 5,000-proposal call stays as small as one of a 50-proposal call."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """Page `page` of `pages` over `total` rows, `size` rows a page (a page asked beyond the ends is clamped)."""

    page: int
    pages: int
    total: int
    size: int

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return (self.page - 1) * self.size

    @property
    def first(self) -> int:
        """The 1-based number of the page's first row (0 for an empty list)."""
        return 0 if self.total == 0 else self.offset + 1

    @property
    def last(self) -> int:
        """The 1-based number of the page's last row (0 for an empty list)."""
        return min(self.total, self.offset + self.size)

    def page_of(self, index: int) -> int:
        """The page that shows the row at 0-based position `index`."""
        return index // self.size + 1


def window(total: int, page: int, size: int) -> Window:
    """The page `page` (clamped to 1..pages) of a list of `total` rows."""
    pages = max(1, math.ceil(total / size))
    return Window(min(max(1, page), pages), pages, total, size)
