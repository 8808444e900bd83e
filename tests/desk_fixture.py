"""A support desk's warehouse and catalog, unlike the demo: tickets with TIMESTAMP open and close
times loaded once at the end of 2019 (a snapshot, no running month, no ``meta_warehouse``), two time
dimensions, a second model without a close date, and the catalog's default period all time."""

from __future__ import annotations

from pathlib import Path

from fixture_files import write_fixture

CATALOG = """
defaults: {period: all_time}
time_dimensions:
  - {id: closed, name: {en: closed date, zh: 关闭日期}, synonyms: {en: [closed, resolved], zh: [关闭, 解决]}}
models:
  - {id: tickets, table: tickets, alias: t, time: t.opened_at, times: {closed: t.closed_at},
     dimensions: {priority: t.priority}}
  - {id: surveys, table: surveys, alias: s, time: s.sent_at}
  - {id: backlog, table: backlog, alias: b, time: b.day, dimensions: {priority: b.priority}}
measures:
  - {id: opened, model: tickets, agg: count, expr: t.ticket_id}
  - {id: open_hours, model: tickets, agg: sum, expr: "date_diff('hour', t.opened_at, t.closed_at)"}
  - {id: closed_count, model: tickets, agg: count, expr: t.ticket_id, where: "t.closed_at IS NOT NULL"}
  - {id: sent, model: surveys, agg: count, expr: s.survey_id}
  - {id: open_backlog, model: backlog, agg: sum, expr: b.open_count, snapshot: last}
metrics:
  - id: tickets_opened
    type: simple
    measure: opened
    name: {en: Tickets opened, zh: 新建工单数}
    synonyms: {en: [tickets, ticket count], zh: [工单数, 工单]}
    description: {en: Support tickets opened., zh: 新建的支持工单。}
    definition: {en: Count of tickets by opened time., zh: 按创建时间统计的工单数。}
    unit: count
    owner: Support Ops
    department: Support
    examples: {en: [how many tickets by priority], zh: [各优先级工单数]}
  - id: hours_open
    type: simple
    measure: open_hours
    name: {en: Hours open, zh: 处理时长}
    description: {en: Hours from opening to closing., zh: 从创建到关闭的小时数。}
    definition: {en: Sum of hours between opened and closed., zh: 创建到关闭的小时数之和。}
    unit: number
    default_period: last_month
    owner: Support Ops
    department: Support
  - id: solved
    type: simple
    measure: closed_count
    name: {en: Tickets solved, zh: 已解决工单数}
    description: {en: Tickets closed in the period., zh: 统计期内关闭的工单。}
    definition: {en: Count of tickets by closed time., zh: 按关闭时间统计的工单数。}
    unit: count
    time_dimension: closed
    owner: Support Ops
    department: Support
  - id: surveys_sent
    type: simple
    measure: sent
    name: {en: Surveys sent, zh: 调研发送数}
    description: {en: Satisfaction surveys sent., zh: 发送的满意度调研。}
    definition: {en: Count of surveys by sent time., zh: 按发送时间统计的调研数。}
    unit: count
    owner: Support Ops
    department: Support
  - id: backlog
    type: simple
    measure: open_backlog
    name: {en: Open backlog, zh: 未结工单数}
    synonyms: {en: [backlog, open tickets], zh: [积压工单, 未结工单]}
    description: {en: Tickets open at the end of the day (a daily snapshot)., zh: 每日日终仍未关闭的工单数(日快照)。}
    definition: {en: Sum of open_count at the period's last snapshot date., zh: 统计期最后一个快照日的 open_count 之和。}
    unit: count
    owner: Support Ops
    department: Support
dimensions:
  - {id: priority, name: {en: Priority, zh: 优先级}, table: tickets, key: priority, label: {en: priority, zh: priority}}
roles:
  - {id: exec, metrics: "*"}
"""

WAREHOUSE = """
CREATE TABLE tickets AS
SELECT i AS ticket_id,
       TIMESTAMP '2019-01-01 00:00:00' + INTERVAL (i * 7 // {scale}) HOUR AS opened_at,
       TIMESTAMP '2019-01-01 00:00:00' + INTERVAL (i * 7 // {scale} + 5 + i % 30) HOUR AS closed_at,
       CASE i % 3 WHEN 0 THEN 'high' WHEN 1 THEN 'medium' ELSE 'low' END AS priority
FROM range(0, 1252 * {scale}) AS r(i);
INSERT INTO tickets VALUES
  (5000, TIMESTAMP '2019-03-31 23:30:00', TIMESTAMP '2019-04-01 02:00:00', 'high'),
  (5001, TIMESTAMP '2019-12-31 23:45:00', NULL, 'low');
CREATE TABLE backlog AS
SELECT d::DATE AS day, p AS priority, q AS queue, (dayofyear(d) % 17) + length(p) * 10 AS open_count
FROM range(DATE '2019-01-01', DATE '2020-01-01', INTERVAL 1 DAY) AS r(d), (VALUES ('high'), ('low')) AS v(p),
  range(0, {scale}) AS queues(q);
CREATE TABLE surveys AS SELECT i AS survey_id, TIMESTAMP '2019-06-01' + INTERVAL (i) DAY AS sent_at FROM range(0, 100) r(i);
"""


def build_desk(root: Path, scale: int = 1) -> tuple[Path, Path]:
    """Write the catalog and build the warehouse under ``root`` (``scale`` × the tickets); returns
    (catalog dir, warehouse file)."""
    return write_fixture(root, CATALOG, WAREHOUSE.format(scale=scale), "desk")
