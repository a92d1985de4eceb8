-- Steward schema 8 for PostgreSQL: the bearer tokens of the HTTP API. Only the sha256 of a token's secret is kept.
CREATE TABLE api_tokens (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  token_hash    text NOT NULL UNIQUE,
  principal     text NOT NULL,
  roles         text NOT NULL,
  created_at    bigint NOT NULL,
  last_used_at  bigint,
  revoked_at    bigint,
  created_by    text
);
