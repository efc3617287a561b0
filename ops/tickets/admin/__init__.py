"""Customer service admin (客服): the ticket queue with its buttons and the complaint
analysis. Every screen reads through ``ops.tickets.selectors`` (scoped)."""

from . import tickets  # noqa: F401
