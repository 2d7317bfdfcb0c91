"""The rules of 预算绩效运行监控 (双监控) and 年终自评, as pure functions.

Standard library only; nothing here imports the rest of ``tracker``.  Inputs and results are
frozen dataclasses, money and percentages are ``Decimal`` (percentages on the 0–100 scale),
and every date that matters (``as_of``) is passed in — nothing reads a clock.

Modules:

- ``labels``       every code → the Chinese word a person reads (colours, causes, alert kinds …)
- ``settings``     MonitoringSettings, EvaluationSettings (policy numbers, from/to a JSON dict)
- ``plan``         资金支出计划 curve, 序时进度, default plan, monotone envelope
- ``money``        执行率 and the money status (red / yellow / green / grey / overspent);
                   round_money (分, half up) and 元 → 万元 (yuan_to_wan, wan_text)
- ``forecast``     全年预计执行数 and 预计结转结余
- ``achievement``  the three qualitative levels (达成 / 部分达成 / 未达成)
- ``indicators``   indicator progress and colour during the year
- ``status``       colour order, results status, overall status
- ``scoring``      自评 formulas for one indicator, 执行率得分, grade, rounding
- ``weights``      分值 of each indicator (category split, redistribution)
- ``evaluation``   the whole 自评 of a project: total, grade, flags, consistency warnings
"""
