-- caplab's D1 schema (lambda/store/d1store). Times are fixed-width UTC
-- text (timeCol); each record is also kept whole as JSON in doc.

-- guard holds nothing: a write's condition inserts a failure code here and
-- the CHECK named after it aborts the batch (d1store/db.go).
CREATE TABLE guard (
  fail INTEGER NOT NULL,
  CONSTRAINT caplab_not_found CHECK (fail <> 1),
  CONSTRAINT caplab_already_used CHECK (fail <> 2),
  CONSTRAINT caplab_expired CHECK (fail <> 3),
  CONSTRAINT caplab_revoked CHECK (fail <> 4),
  CONSTRAINT caplab_exists CHECK (fail <> 5),
  CONSTRAINT caplab_quota CHECK (fail <> 6),
  CONSTRAINT caplab_guard_stores_nothing CHECK (fail BETWEEN 1 AND 6)
);

CREATE TABLE scenarios (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL,
  last_used_at TEXT NOT NULL DEFAULT '',
  last_use TEXT NOT NULL,
  grant_count INTEGER NOT NULL DEFAULT 0,
  grant_quota INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX scenarios_last_use ON scenarios (last_use);

CREATE TABLE codes (
  hash TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  expires TEXT NOT NULL,
  used_at TEXT NOT NULL DEFAULT '',
  doc TEXT NOT NULL
);
CREATE INDEX codes_expires ON codes (expires);

CREATE TABLE grants (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  user TEXT NOT NULL,
  interactive INTEGER NOT NULL,
  status TEXT NOT NULL,
  created TEXT NOT NULL,
  revoked_why TEXT NOT NULL DEFAULT '',
  revoked_at TEXT NOT NULL DEFAULT '',
  uses INTEGER NOT NULL DEFAULT 0,
  last_use TEXT NOT NULL DEFAULT '',
  doc TEXT NOT NULL
);
CREATE INDEX grants_approvals ON grants (org_id, user, status, created);
CREATE INDEX grants_org ON grants (org_id, status, created);
CREATE INDEX grants_created ON grants (created);

CREATE TABLE tokens (
  hash TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  grant_id TEXT NOT NULL,
  expires TEXT NOT NULL DEFAULT '',
  used_at TEXT NOT NULL DEFAULT '',
  last_used TEXT NOT NULL DEFAULT '',
  revoked INTEGER NOT NULL DEFAULT 0,
  doc TEXT NOT NULL
);
CREATE INDEX tokens_grant ON tokens (grant_id);
CREATE INDEX tokens_expires ON tokens (expires);

CREATE TABLE marks (
  key TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0,
  last_used TEXT NOT NULL DEFAULT '',
  expires TEXT NOT NULL
);
CREATE INDEX marks_expires ON marks (expires);

CREATE TABLE lockouts (
  org_id TEXT NOT NULL,
  user TEXT NOT NULL,
  failures INTEGER NOT NULL,
  locked_until TEXT NOT NULL DEFAULT '',
  updated TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, user)
);

CREATE TABLE logins (
  org_id TEXT NOT NULL,
  sort_key TEXT NOT NULL,
  at TEXT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (org_id, sort_key)
);
CREATE INDEX logins_at ON logins (at);

CREATE TABLE relay_tenants (
  id TEXT PRIMARY KEY,
  doc TEXT NOT NULL
);

CREATE TABLE relay_flows (
  id TEXT PRIMARY KEY,
  expires TEXT NOT NULL,
  used_at TEXT NOT NULL DEFAULT '',
  doc TEXT NOT NULL
);
CREATE INDEX relay_flows_expires ON relay_flows (expires);
