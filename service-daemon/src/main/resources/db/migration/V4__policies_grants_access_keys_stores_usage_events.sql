-- Schema 4: the tables each component created for itself before Flyway ran the schema. Homes
-- from that time hold them already, hence IF NOT EXISTS.
CREATE TABLE IF NOT EXISTS key_policies (
  key_id TEXT PRIMARY KEY REFERENCES keys(id) ON DELETE CASCADE, document TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS grants (
  grant_id TEXT PRIMARY KEY, key_id TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
  name TEXT, grantee TEXT NOT NULL, retiring_principal TEXT, operations TEXT NOT NULL,
  constraints TEXT, creation_ms BIGINT NOT NULL, token TEXT NOT NULL UNIQUE);

CREATE TABLE IF NOT EXISTS access_keys (
  access_key_id TEXT PRIMARY KEY, user_name TEXT NOT NULL, status TEXT NOT NULL,
  created_ms BIGINT NOT NULL, wrapped_secret ${blob} NOT NULL);

CREATE TABLE IF NOT EXISTS custom_key_stores (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
  library TEXT NOT NULL, token_label TEXT, slot_list_index INTEGER,
  wrapped_pin ${blob} NOT NULL, creation_ms BIGINT NOT NULL,
  connect_wanted INTEGER NOT NULL DEFAULT 0);

CREATE TABLE IF NOT EXISTS managed_keys (
  key_id TEXT PRIMARY KEY REFERENCES keys(id) ON DELETE CASCADE, alias TEXT NOT NULL,
  creator TEXT NOT NULL, creation_ms BIGINT NOT NULL);

CREATE TABLE IF NOT EXISTS usage_requests (
  month TEXT NOT NULL, key_arn TEXT NOT NULL, principal TEXT NOT NULL,
  operation TEXT NOT NULL, succeeded BIGINT NOT NULL DEFAULT 0,
  refused BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (month, key_arn, principal, operation));

CREATE TABLE IF NOT EXISTS usage_journal_folded (
  id INTEGER PRIMARY KEY CHECK (id = 1), generation BIGINT NOT NULL);

CREATE TABLE IF NOT EXISTS usage_key_periods (
  key_id TEXT NOT NULL, start_ms BIGINT NOT NULL, key_arn TEXT NOT NULL,
  end_ms BIGINT, PRIMARY KEY (key_id, start_ms));

CREATE TABLE IF NOT EXISTS key_material_events (
  event_id TEXT PRIMARY KEY, key_id TEXT NOT NULL, material_id TEXT NOT NULL,
  valid_to_ms BIGINT NOT NULL, lead_days INTEGER NOT NULL, created_ms BIGINT NOT NULL,
  event ${blob} NOT NULL, UNIQUE (key_id, material_id, valid_to_ms, lead_days));

CREATE TABLE IF NOT EXISTS key_material_event_deliveries (
  event_id TEXT NOT NULL, target TEXT NOT NULL, attempts INTEGER NOT NULL,
  next_attempt_ms BIGINT NOT NULL, done_ms BIGINT, PRIMARY KEY (event_id, target));
