-- Steward schema 7 for PostgreSQL: operators' controls of components (pause) that every process applies to its
-- registry, and what each worker reports of its components (active provider, state, uses in flight), for drain.
CREATE TABLE component_controls (
  domain      text NOT NULL,
  key         text NOT NULL,
  paused      boolean NOT NULL,
  by          text,
  reason      text,
  updated_at  bigint NOT NULL,
  PRIMARY KEY (domain, key)
);

-- a change is told to every process, as the controls row's changes are
CREATE TRIGGER component_controls_changed AFTER INSERT OR UPDATE OR DELETE ON component_controls
FOR EACH STATEMENT EXECUTE FUNCTION controls_changed();

CREATE TABLE component_reports (
  worker       text NOT NULL,
  domain       text NOT NULL,
  key          text NOT NULL,
  provider     text,
  state        text NOT NULL,
  in_flight    integer NOT NULL,
  reported_at  bigint NOT NULL,
  PRIMARY KEY (worker, domain, key)
);
