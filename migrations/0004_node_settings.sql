-- 0004: values the node makes once and keeps for the life of the installation
-- (e.g. the Device Observer UID of TID 1004, which must be stable per installation).
CREATE TABLE node_settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  created_at TEXT NOT NULL
);
