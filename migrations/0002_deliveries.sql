-- 0002: the delivery outbox (PRODUCT.md 6). One row per (result object, destination); a
-- re-delivery of the same SOP instance to the same destination replaces the row, never duplicates.

CREATE TABLE deliveries (
  id                  INTEGER PRIMARY KEY,
  job_id              TEXT REFERENCES jobs (id),
  sop_instance_uid    TEXT NOT NULL,
  sop_class_uid       TEXT NOT NULL,
  study_instance_uid  TEXT NOT NULL,
  series_instance_uid TEXT NOT NULL,
  -- absolute path of the Part 10 file to send
  file_path           TEXT NOT NULL,
  -- destination name from node.yaml / serve --destination
  destination         TEXT NOT NULL,
  state               TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'in_flight', 'delivered', 'dead')),
  attempts            INTEGER NOT NULL DEFAULT 0,
  -- epoch milliseconds; due when <= now
  next_attempt_at     INTEGER NOT NULL,
  -- DIMSE status, HTTP status or STOW-RS FailureReason of the last attempt
  last_status         INTEGER,
  last_status_class   TEXT CHECK (last_status_class IN ('success', 'warning', 'failure')),
  last_message        TEXT,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  delivered_at        TEXT,
  UNIQUE (sop_instance_uid, destination)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_job ON deliveries (job_id);
