-- The audit log: who changed what in the management API, when, from where, and how it ended.
-- A successful write's entry is inserted in the write's own transaction; failed authentications
-- and refused writes are appended on their own. `ts` is milliseconds since the Unix epoch; `seq`
-- orders entries of the same millisecond. Runtime data: it changes no revision.
CREATE TABLE audit_log (
    seq       BIGSERIAL PRIMARY KEY,
    instance  TEXT   NOT NULL,
    ts        BIGINT NOT NULL,
    actor     TEXT   NOT NULL,
    action    TEXT   NOT NULL,
    path      TEXT   NOT NULL,
    entity    TEXT   NOT NULL,
    summary   TEXT   NOT NULL,
    client_ip TEXT   NOT NULL,
    outcome   TEXT   NOT NULL,
    status    BIGINT NOT NULL
);

-- Reads take one instance's time range, newest first; pruning reads the time alone.
CREATE INDEX audit_log_by_time ON audit_log (instance, ts);
CREATE INDEX audit_log_ts ON audit_log (ts);
