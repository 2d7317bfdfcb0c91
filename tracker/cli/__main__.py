"""``python -m tracker.cli …`` runs the ``tracker`` command."""

from tracker.cli import main

main()
