"""What the allocation staff pages share."""

from __future__ import annotations

PAGE_SIZE = 50
