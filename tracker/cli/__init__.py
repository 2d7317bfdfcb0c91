"""The ``tracker`` command: as thin as the views, same services, non-zero exit on failure.

One module per command group; this one assembles them and holds the entry point:

- ``database``   tracker db …  (upgrade, downgrade, current, backup, restore)
- ``users``      tracker user …, tracker admin ensure
- ``imports``    tracker import targets | ledger
- ``ledger``     tracker ledger …  (batches, unmatched, assign, undo, reconcile, counting-source)
- ``exports``    tracker export …, tracker department correct
- ``monitoring`` tracker check (``monitor evaluate`` is its alias), tracker monitor refreeze
- ``progress``   tracker progress add | template | import
- ``evaluation`` tracker evaluate (年终自评)
- ``reports``    tracker report …
- ``demo``       tracker demo load
- ``serving``    tracker scheduler …, tracker serve

``context`` holds what they share (configuration, database, the command's transaction), ``help``
the Chinese help pages and ``errors`` the one top-level handler.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from tracker.cli import database, demo, evaluation, exports, imports, ledger, monitoring, progress, reports
from tracker.cli import serving, users
from tracker.cli.context import Context, pass_context
from tracker.cli.help import TrackerGroup


@click.group(cls=TrackerGroup, help="预算绩效运行监控 tracker")
def cli() -> None:
    pass


for _command in (database.db, users.user, users.admin, imports.import_group, ledger.ledger,
                 exports.export_group, exports.department_group, demo.demo, monitoring.monitor,
                 monitoring.check, progress.progress, serving.scheduler, evaluation.evaluate_command,
                 reports.report_group, serving.serve):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> Any:
    """Entry point.  Whatever a command raises becomes Chinese lines on stderr and a non-zero
    exit (``tracker.cli.errors``); never a traceback."""
    from tracker.cli.errors import report

    try:
        return cli.main(args=argv, prog_name="tracker", standalone_mode=False)
    except Exception as error:  # noqa: BLE001 - the one top-level handler
        sys.exit(report(error))
    except KeyboardInterrupt:
        sys.exit(report(click.exceptions.Abort()))


__all__ = ["Context", "cli", "main", "pass_context"]
