-- Schema 1: keys, their backing key versions, import tokens, tags, aliases and the audit outbox.
-- Shared by SQLite and PostgreSQL: ${blob} is BLOB or BYTEA; times are epoch milliseconds.
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS keys (
  id TEXT PRIMARY KEY, creation_ms BIGINT NOT NULL, description TEXT NOT NULL,
  state TEXT NOT NULL, key_usage TEXT NOT NULL, key_spec TEXT NOT NULL,
  origin TEXT NOT NULL, key_store TEXT NOT NULL, deletion_ms BIGINT,
  pending_window_days INTEGER NOT NULL DEFAULT 0,
  current_version INTEGER NOT NULL,
  rotation_period_days INTEGER NOT NULL DEFAULT 0, next_rotation_ms BIGINT,
  on_demand_rotations INTEGER NOT NULL DEFAULT 0,
  expiration_model TEXT, valid_to_ms BIGINT);

CREATE TABLE IF NOT EXISTS key_versions (
  key_id TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
  version INTEGER NOT NULL, created_ms BIGINT NOT NULL,
  key_store TEXT NOT NULL, stored ${blob} NOT NULL, rotation_type TEXT,
  PRIMARY KEY (key_id, version));

CREATE TABLE IF NOT EXISTS import_tokens (
  token ${blob} PRIMARY KEY, key_id TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
  algorithm TEXT NOT NULL, wrapping_key_spec TEXT NOT NULL,
  wrapped_private_key ${blob} NOT NULL, valid_to_ms BIGINT NOT NULL,
  used INTEGER NOT NULL DEFAULT 0);

CREATE TABLE IF NOT EXISTS tags (
  key_id TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
  tag_key TEXT NOT NULL, tag_value TEXT NOT NULL, PRIMARY KEY (key_id, tag_key));

CREATE TABLE IF NOT EXISTS aliases (
  name TEXT PRIMARY KEY, target_key_id TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
  creation_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL);

CREATE TABLE IF NOT EXISTS audit_outbox (
  event_id TEXT PRIMARY KEY, created_ms BIGINT NOT NULL, record ${blob} NOT NULL);
