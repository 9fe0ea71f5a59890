"""The benchmark's peer: the same three reports computed by DuckDB from the raw rows.

DuckDB's SQLite scanner is an extension it downloads, so the peer reads the SQLite file the
ordinary way — the tables each report needs, fetched with Python's sqlite3 and handed to
DuckDB as NumPy columns, timestamps cast to TIMESTAMP on the way in (`load`, timed apart).
The queries then start from those raw rows: JSON event payloads are parsed, stays in stages
are rebuilt with window functions, and business time comes from the calendar's breakpoints
(the same calendar the product uses) through ASOF joins. DuckDB is used only here.
"""

from __future__ import annotations

import sqlite3

import duckdb
import numpy as np

from salesrelay.metrics.reports import BusinessClock

TABLES = {
    "journeys": "SELECT id, created_at, first_touched_at, first_touch_due_at, status, stage, "
    "owner_rep_id, source, fields FROM journeys",
    "leads": "SELECT journey_id FROM events WHERE kind = 'lead.received'",
    "moves": "SELECT journey_id, id, at AS moved_at, rep_id, data FROM events "
    "WHERE kind = 'journey.stage_changed'",
    "handoffs": "SELECT id, journey_id, protocol, from_stage, to_stage, status, proposed_at, "
    "decided_at, accept_by, rejection_reason, rating, replaces_id FROM handoffs",
}
TIMES = {
    "created_at",
    "first_touched_at",
    "first_touch_due_at",
    "moved_at",
    "proposed_at",
    "decided_at",
    "accept_by",
}


def load(path: str, playbook, calendar, start: float, end: float) -> duckdb.DuckDBPyConnection:
    """Read the rows the reports need from the SQLite file into an in-memory DuckDB."""
    peer = duckdb.connect()
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    for table, sql in TABLES.items():
        cursor = source.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        frame = {  # noqa: F841 — DuckDB finds it by name
            name: np.asarray([r[i] for r in rows], dtype=object) for i, name in enumerate(names)
        }
        columns = ", ".join(
            f"CAST({n} AS TIMESTAMP) AS {n}"
            if n in TIMES
            else f"CAST({n} AS BIGINT) AS {n}"
            if n.endswith("id") or n == "rating"
            else f"CAST({n} AS VARCHAR) AS {n}"
            for n in names
        )
        peer.execute(f"CREATE TABLE {table} AS SELECT {columns} FROM frame")
    source.close()
    roles = {  # noqa: F841
        "stage": np.asarray([s.id for s in playbook.stages], dtype=object),
        "role": np.asarray([s.role for s in playbook.stages], dtype=object),
        "closing": np.asarray(
            [
                playbook.role_function(s.role) == "closing" and s.terminal is None
                for s in playbook.stages
            ]
        ),
        "won": np.asarray([s.terminal == "won" for s in playbook.stages]),
        "ending": np.asarray(
            [s.terminal in ("lost", "disqualified", "nurture") for s in playbook.stages]
        ),
    }
    peer.execute("CREATE TABLE stage_roles AS SELECT * FROM roles")
    clock = BusinessClock(calendar, start - 86400 * 60, end + 86400 * 400)
    points = {"point": clock.points, "elapsed": clock.elapsed, "slope": clock.slopes}  # noqa: F841
    peer.execute("CREATE TABLE bp AS SELECT * FROM points ORDER BY point")
    return peer


SPEED = """
WITH l AS (
  SELECT epoch(created_at) AS arrived, epoch(first_touched_at) AS touched,
         epoch(first_touch_due_at) AS due, status
  FROM journeys SEMI JOIN leads ON leads.journey_id = journeys.id
  WHERE created_at >= to_timestamp($start) AND created_at < to_timestamp($end)
), b AS (
  -- greatest() skips NULLs in DuckDB, so the untouched are kept NULL explicitly
  SELECT l.*, CASE WHEN touched IS NOT NULL THEN greatest(touched - arrived, 0) / 60 END AS wall,
         CASE WHEN touched IS NOT NULL THEN
           greatest((t.elapsed + t.slope * (touched - t.point))
                    - (a.elapsed + a.slope * (arrived - a.point)), 0) / 60 END AS business
  FROM l ASOF LEFT JOIN bp a ON l.arrived >= a.point ASOF LEFT JOIN bp t ON l.touched >= t.point
), summary AS (
  SELECT count(*) AS leads, count(touched) AS touched,
         count(*) FILTER (WHERE touched IS NULL AND status = 'open') AS waiting,
         quantile_cont(wall, [0.5, 0.9, 0.99]) AS wall_pct, avg(wall) AS wall_mean,
         quantile_cont(business, [0.5, 0.9, 0.99]) AS business_pct,
         avg(business) AS business_mean,
         count(*) FILTER (WHERE touched <= due) AS within_sla,
         count(*) FILTER (WHERE due IS NOT NULL AND (touched IS NOT NULL OR due <= $now))
           AS decided
  FROM b
), buckets AS (
  SELECT CASE WHEN wall < 5 THEN 0 WHEN wall < 10 THEN 1 WHEN wall < 30 THEN 2
              WHEN wall < 60 THEN 3 WHEN wall < 240 THEN 4 WHEN wall < 1440 THEN 5
              WHEN wall IS NOT NULL THEN 6 ELSE 7 END AS bucket, count(*) AS n
  FROM b GROUP BY bucket
)
SELECT summary.*, (SELECT list(n ORDER BY bucket) FROM buckets) AS wall_histogram FROM summary
"""

FUNNEL = """
WITH cohort AS (
  SELECT id, epoch(created_at) AS arrived, stage, fields
  FROM journeys SEMI JOIN leads ON leads.journey_id = journeys.id
  WHERE created_at >= to_timestamp($start) AND created_at < to_timestamp($end)
), m AS (
  SELECT m.journey_id, epoch(m.moved_at) AS t, json_extract_string(m.data, '$.from') AS frm,
         json_extract_string(m.data, '$.to') AS dest,
         row_number() OVER (PARTITION BY m.journey_id ORDER BY m.moved_at, m.id) AS n,
         count(*) OVER (PARTITION BY m.journey_id) AS moves
  FROM moves m SEMI JOIN cohort ON cohort.id = m.journey_id
), stays AS (
  SELECT m.journey_id, m.frm AS stage,
         coalesce(lag(m.t) OVER (PARTITION BY m.journey_id ORDER BY m.n), c.arrived) AS entered,
         m.t AS left_at, m.dest AS next
  FROM m JOIN cohort c ON c.id = m.journey_id
  UNION ALL
  SELECT c.id, coalesce(m.dest, c.stage), coalesce(m.t, c.arrived), NULL, NULL
  FROM cohort c LEFT JOIN m ON m.journey_id = c.id AND m.n = m.moves
), timed AS (
  SELECT s.*, (s.left_at - s.entered) / 3600 AS hours,
         ((t.elapsed + t.slope * (s.left_at - t.point))
          - (e.elapsed + e.slope * (s.entered - e.point))) / 3600 AS business
  FROM stays s ASOF LEFT JOIN bp e ON s.entered >= e.point
               ASOF LEFT JOIN bp t ON s.left_at >= t.point
)
SELECT stage, count(*) AS entered, count(left_at) AS left_n,
       count(*) FILTER (WHERE left_at IS NULL) AS still,
       quantile_cont(hours, [0.5, 0.9]) AS hours_pct, avg(hours) AS hours_mean,
       quantile_cont(CASE WHEN left_at IS NOT NULL THEN greatest(business, 0) END, [0.5, 0.9])
         AS business_pct
FROM timed GROUP BY stage ORDER BY stage
"""

TRANSITIONS = """
SELECT s.stage, s.next, count(*) AS moved FROM (
  SELECT json_extract_string(m.data, '$.from') AS stage, json_extract_string(m.data, '$.to') AS next
  FROM moves m SEMI JOIN (
    SELECT id FROM journeys SEMI JOIN leads ON leads.journey_id = journeys.id
    WHERE created_at >= to_timestamp($start) AND created_at < to_timestamp($end)
  ) c ON c.id = m.journey_id
) s GROUP BY ALL ORDER BY ALL
"""

ORIGINS = """
WITH cohort AS (
  SELECT id, stage AS current_stage,
         CAST(json_extract(fields, '$.contract_value') AS DOUBLE) AS value
  FROM journeys SEMI JOIN leads ON leads.journey_id = journeys.id
  WHERE created_at >= to_timestamp($start) AND created_at < to_timestamp($end)
), m AS (
  SELECT m.journey_id, epoch(m.moved_at) AS t, m.id, json_extract_string(m.data, '$.from') AS frm,
         json_extract_string(m.data, '$.to') AS dest
  FROM moves m SEMI JOIN cohort ON cohort.id = m.journey_id
), firsts AS (
  SELECT journey_id, arg_min(frm, (t, id)) AS entry FROM m GROUP BY journey_id
), reached AS (
  SELECT m.journey_id,
         min(m.t) FILTER (WHERE r.closing) AS pipeline_at,
         min(m.t) FILTER (WHERE r.won) AS won_at,
         max(m.t) FILTER (WHERE r.ending) AS ended_at
  FROM m JOIN stage_roles r ON r.stage = m.dest GROUP BY m.journey_id
)
SELECT r.role AS originating_role, count(*) AS journeys,
       count(x.pipeline_at) AS pipeline, count(x.won_at) AS won,
       count(*) FILTER (WHERE x.pipeline_at <= x.ended_at AND x.won_at IS NULL) AS closed_lost,
       coalesce(sum(c.value) FILTER (WHERE x.won_at IS NOT NULL), 0) AS revenue_won
FROM cohort c LEFT JOIN firsts f ON f.journey_id = c.id
     LEFT JOIN reached x ON x.journey_id = c.id
     JOIN stage_roles r ON r.stage = coalesce(f.entry, c.current_stage)
GROUP BY ALL ORDER BY ALL
"""

HANDOFFS = """
WITH h AS (
  SELECT h.*, epoch(proposed_at) AS proposed, epoch(decided_at) AS decided,
         fr.role || ' → ' || tr.role AS pair
  FROM handoffs h JOIN stage_roles fr ON fr.stage = h.from_stage
                  JOIN stage_roles tr ON tr.stage = h.to_stage
  WHERE proposed_at >= to_timestamp($start) AND proposed_at < to_timestamp($end)
), b AS (
  SELECT h.*, (decided - proposed) / 60 AS latency,
         ((d.elapsed + d.slope * (decided - d.point))
          - (p.elapsed + p.slope * (proposed - p.point))) / 60 AS business
  FROM h ASOF LEFT JOIN bp p ON h.proposed >= p.point ASOF LEFT JOIN bp d ON h.decided >= d.point
)
SELECT protocol, pair, count(*) AS proposed,
       count(*) FILTER (WHERE status = 'accepted') AS accepted,
       count(*) FILTER (WHERE status = 'rejected') AS rejected,
       count(*) FILTER (WHERE status = 'expired') AS expired,
       count(*) FILTER (WHERE status = 'proposed') AS pending,
       count(*) FILTER (WHERE status = 'accepted' AND decided_at > accept_by) AS accepted_late,
       quantile_cont(latency, [0.5, 0.9]) FILTER (WHERE status = 'accepted') AS latency_pct,
       quantile_cont(CASE WHEN decided IS NOT NULL THEN greatest(business, 0) END, [0.5, 0.9])
         FILTER (WHERE status = 'accepted') AS business_pct,
       avg(rating) FILTER (WHERE rating > 0) AS average_rating,
       count(replaces_id) AS reoffers
FROM b GROUP BY ALL ORDER BY ALL
"""

REJECTIONS = """
SELECT protocol, from_stage, to_stage, rejection_reason, count(*) AS rejected FROM handoffs
WHERE status = 'rejected' AND proposed_at >= to_timestamp($start)
  AND proposed_at < to_timestamp($end)
GROUP BY ALL ORDER BY ALL
"""

REPORTS = {
    "speed-to-lead": (SPEED,),
    "funnel": (FUNNEL, TRANSITIONS, ORIGINS),
    "handoffs": (HANDOFFS, REJECTIONS),
}


def run(peer: duckdb.DuckDBPyConnection, name: str, start: float, end: float, now: float):
    """The report's result sets, as lists of dicts."""
    answers = []
    for sql in REPORTS[name]:
        params = {"start": start, "end": end, "now": now}
        cursor = peer.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})
        names = [d[0] for d in cursor.description]
        answers.append([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])
    return answers
