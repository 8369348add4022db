-- 0001: instances, series, jobs and the hash-chained audit trail (PRODUCT.md 7).

CREATE TABLE series (
  series_instance_uid TEXT PRIMARY KEY,
  study_instance_uid  TEXT NOT NULL,
  modality            TEXT NOT NULL DEFAULT '',
  -- receiving | complete
  state               TEXT NOT NULL DEFAULT 'receiving' CHECK (state IN ('receiving', 'complete')),
  expected_count      INTEGER,
  instance_count      INTEGER NOT NULL DEFAULT 0,
  calling_ae_title    TEXT NOT NULL DEFAULT '',
  called_ae_title     TEXT NOT NULL DEFAULT '',
  peer_address        TEXT NOT NULL DEFAULT '',
  last_association_id TEXT,
  first_received_at   TEXT NOT NULL,
  last_received_at    TEXT NOT NULL,
  completed_at        TEXT,
  completion_signal   TEXT,
  late_arrivals       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX series_study ON series (study_instance_uid);
CREATE INDEX series_state ON series (state);

CREATE TABLE instances (
  id                  INTEGER PRIMARY KEY,
  sop_instance_uid    TEXT NOT NULL UNIQUE,
  sop_class_uid       TEXT NOT NULL,
  transfer_syntax_uid TEXT NOT NULL,
  study_instance_uid  TEXT NOT NULL,
  series_instance_uid TEXT NOT NULL REFERENCES series (series_instance_uid),
  instance_number     INTEGER,
  number_of_frames    INTEGER NOT NULL DEFAULT 1,
  -- path relative to the data directory, a name the node made
  file_path           TEXT NOT NULL UNIQUE,
  size_bytes          INTEGER NOT NULL,
  source              TEXT NOT NULL CHECK (source IN ('dimse', 'stow')),
  association_id      TEXT NOT NULL,
  calling_ae_title    TEXT NOT NULL,
  peer_address        TEXT NOT NULL,
  received_at         TEXT NOT NULL,
  late_arrival        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX instances_series ON instances (series_instance_uid);
CREATE INDEX instances_study ON instances (study_instance_uid);

CREATE TABLE jobs (
  id                  TEXT PRIMARY KEY,
  series_instance_uid TEXT NOT NULL REFERENCES series (series_instance_uid),
  state               TEXT NOT NULL CHECK (state IN ('received', 'complete', 'routed', 'inferring', 'encoded',
                        'delivering', 'delivered', 'discarded', 'out_of_scope', 'failed')),
  -- the state a failed job failed in, so a retry resumes there
  failed_from         TEXT,
  rules_version       TEXT,
  priority            TEXT NOT NULL DEFAULT 'normal',
  completion_signal   TEXT,
  detail              TEXT NOT NULL DEFAULT '{}',
  error               TEXT,
  attempts            INTEGER NOT NULL DEFAULT 0,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  last_instance_at    TEXT
);
CREATE INDEX jobs_state ON jobs (state);
CREATE INDEX jobs_series ON jobs (series_instance_uid);

-- Append-only, hash-chained: hash = sha256(prev_hash || canonical content).
CREATE TABLE audit_events (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  at             TEXT NOT NULL,
  event          TEXT NOT NULL,
  actor          TEXT NOT NULL,
  correlation_id TEXT,
  subject        TEXT,
  detail         TEXT NOT NULL,
  prev_hash      TEXT NOT NULL,
  hash           TEXT NOT NULL
);
CREATE INDEX audit_events_event ON audit_events (event);
CREATE INDEX audit_events_subject ON audit_events (subject);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;
