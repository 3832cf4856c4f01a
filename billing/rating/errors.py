"""Why rating refuses an event history.

Rating is pure arithmetic over a ledger Partner Center already accepted; when the ledger describes something
Partner Center would have refused (a refund after the 168-hour window, a seat count that does not follow on),
the history is wrong, and a silently "best effort" invoice line would be worse than a loud refusal.
"""

from __future__ import annotations


class RatingError(ValueError):
    """The event history cannot be rated as given."""


class RefundWindowClosed(RatingError):
    """A cancellation or seat reduction falls outside Microsoft's 168-hour (7-day) refund window.

    Partner Center refuses these (900213/900214, or 900117/900257 in days), so the ledger should never hold one.
    """


class LedgerInconsistent(RatingError):
    """Events do not follow on from each other (quantity before ≠ current seats, event before purchase, …)."""
