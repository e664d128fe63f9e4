-- Schema 5: rows that belong to one node of a cluster (docs/cluster.md). ${node_id} is the node
-- running this migration: the only node an existing single-node home has.
ALTER TABLE audit_outbox ADD COLUMN node_id TEXT;
UPDATE audit_outbox SET node_id = '${node_id}';

CREATE TABLE usage_journal_folds (node_id TEXT PRIMARY KEY, generation BIGINT NOT NULL);
INSERT INTO usage_journal_folds (node_id, generation)
  SELECT '${node_id}', generation FROM usage_journal_folded;
DROP TABLE usage_journal_folded;

CREATE TABLE IF NOT EXISTS key_store_connections (
  key_store_id TEXT NOT NULL, node_id TEXT NOT NULL, state TEXT NOT NULL, error_code TEXT,
  updated_ms BIGINT NOT NULL, PRIMARY KEY (key_store_id, node_id));
