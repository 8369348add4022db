-- 0003: the DICOMweb attribute index (PS3.18 10.6 QIDO-RS) over what the node holds: received
-- instances (instances table) and the results it wrote (deliveries table). Filled lazily from
-- the instance headers by src/api (DicomWebIndex.sync), rows of vanished sources removed there.

CREATE TABLE dicomweb_instances (
  sop_instance_uid    TEXT PRIMARY KEY,
  study_instance_uid  TEXT NOT NULL,
  series_instance_uid TEXT NOT NULL,
  sop_class_uid       TEXT NOT NULL,
  -- input: a row of instances; result: a Part 10 file the node wrote (deliveries)
  origin              TEXT NOT NULL CHECK (origin IN ('input', 'result')),
  -- as in the source table (relative to the data directory, or absolute)
  file_path           TEXT NOT NULL,
  transfer_syntax_uid TEXT NOT NULL DEFAULT '',
  -- the indexed header attributes in DICOM JSON (PS3.18 F.2); '{}' when unreadable
  attributes          TEXT NOT NULL DEFAULT '{}',
  -- 1 once the file is gone (retention) or unreadable: never served
  missing             INTEGER NOT NULL DEFAULT 0,
  indexed_at          TEXT NOT NULL
);
CREATE INDEX dicomweb_instances_study ON dicomweb_instances (study_instance_uid);
CREATE INDEX dicomweb_instances_series ON dicomweb_instances (series_instance_uid);
