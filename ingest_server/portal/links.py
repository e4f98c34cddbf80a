"""The reports and holds of a clip, for the clip page, read through the reports
package's service functions when that package is installed on this server.
"""

from __future__ import annotations


def reports_of(session, clip_id: str) -> list | None:
    """The clip's report links, or None when this server has no reports package."""
    return None


def holds_of(session, clip_id: str) -> list | None:
    """The clip's holds, or None when this server has no holds package."""
    return None


def clip_ids_of_report(session, report_id: str) -> list[str] | None:
    """The ids of the clips linked to a report, or None when there is no such report."""
    return None
