"""双监控 of many projects at once, one module per job:

- ``settings``: reminder grace periods and the admin form of the monitoring settings;
- ``projects``: projects as monitoring reads them in bulk: budget, plan curve (the one
  reader of plan points, ``plan_curves``) and checkpoints;
- ``evaluate``: the evaluation of many projects at one or several dates (money, indicators,
  overall colour); spending comes from ``tracker.services.spending``;
- ``snapshots``: checkpoint snapshots (record, freeze), the daily status, its transitions
  and the summary of what an import changed;
- ``reminders``: overdue ledger, progress and 偏差说明 reminders;
- ``alerts``: storing alerts once per key and reading them per user;
- ``bulk_write``: the jobs' many rows (snapshots, alerts) written at once: COPY on
  PostgreSQL, executemany on SQLite;
- ``pages``: the view models of the monitoring pages (one project, the overview).

Every rule comes from ``tracker.core``; these modules only gather inputs in bulk and store
results.  An evaluation of every project reads a handful of grouped queries (projects with
their plan points, indicators each with the progress report that counts, ledger coverage per
unit, spending from ``project_month_spending``, and only inside a month the rows of its days)
and never scans ledger rows for whole months; exact columns are read as their stored
integers, values that repeat across rows come packed as JSON texts that serve as memo keys,
each distinct plan becomes one ``PlanCurve``, and identical indicator inputs are judged once
per evaluation (memos live for one call only).

Decisions (DOMAIN is silent):

- A project's checkpoints are its own plan dates when the target table gave a plan
  (``PlanPoint.is_default`` false), else 03-31 / 06-30 / 10-31 / 12-31; the monitoring
  cut-off (end of month N) is always one too.
- On its day (23:30) a checkpoint is evaluated and stored: frozen at once when the unit's
  ledger covers it, else provisional (not shown as frozen) until a night when the ledger
  covers it: then it is evaluated again and frozen; until then a reminder says the ledger is missing.  A
  checkpoint nobody evaluated on its day (scheduler down, project imported later) is
  evaluated as of its date at the next run and marked late.  A frozen snapshot is never
  changed.
- The daily (current) status judges money at the last day the ledger covers (never after
  today), because a date the ledger does not cover cannot be judged; indicators are judged
  at today.  Evaluating an explicit date judges both at that date.
- Every stored evaluation (snapshot) and status alert records the ledger batches it rests on
  (``basis_ids``), so that undoing a batch reaches what was derived from it
  (``tracker.services.corrections``).  An import or undo re-evaluates every project whose
  spending or ledger coverage it changes (``ledger_import``), through ``summarize_changes``.
- Transitions of the overall colour that raise an alert: to yellow or red from anything
  else (turned), yellow → red (worsened), yellow/red → green/blue (recovered).  Red →
  yellow and anything to or from grey raise none.

Callers import from the module that holds a name; this package re-exports nothing.
"""
