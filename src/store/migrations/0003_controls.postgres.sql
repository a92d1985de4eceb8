-- Steward schema 3 for PostgreSQL: the store-wide controls (the kill switch, the global autonomy level), one row,
-- whose changes every process hears at once.
CREATE TABLE controls (
  id           integer PRIMARY KEY CHECK (id = 1),
  kill_switch  boolean NOT NULL DEFAULT false,
  kill_by      text,
  kill_reason  text,
  kill_at      bigint,
  autonomy     integer NOT NULL DEFAULT 1 CHECK (autonomy BETWEEN 0 AND 3),
  updated_at   bigint NOT NULL DEFAULT 0
);
INSERT INTO controls (id) VALUES (1);

CREATE FUNCTION controls_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('steward:' || TG_TABLE_SCHEMA, 'k');
  RETURN NULL;
END $$;

CREATE TRIGGER controls_changed AFTER UPDATE ON controls FOR EACH STATEMENT EXECUTE FUNCTION controls_changed();
