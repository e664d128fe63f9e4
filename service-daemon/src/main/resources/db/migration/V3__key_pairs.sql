-- Schema 3: the public half of each asymmetric KMS key and the certificate chain attached to it
-- (PutCertificateChain). Public data only: the private key is a wrapped row of key_versions.
CREATE TABLE IF NOT EXISTS key_pairs (
  key_id TEXT PRIMARY KEY REFERENCES keys(id) ON DELETE CASCADE,
  public_key ${blob} NOT NULL, certificate_chain ${blob});
