-- Steward schema 8 for SQLite: the bearer tokens of the HTTP API. Only the sha256 of a token's secret is kept.
CREATE TABLE api_tokens (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  token_hash    TEXT NOT NULL UNIQUE,
  principal     TEXT NOT NULL,
  roles         TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER,
  revoked_at    INTEGER,
  created_by    TEXT
);
