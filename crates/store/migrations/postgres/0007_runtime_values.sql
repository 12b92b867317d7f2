-- Small runtime values beside the configuration, by kind and key: the OAuth2 authorization server's
-- authorization codes, sign-in sessions and signing keys. Runtime data: writing one changes no
-- revision. `expires` is in milliseconds since the Unix epoch; an expired value is never read and
-- is deleted by the hourly pruning.
CREATE TABLE runtime_values (
    instance TEXT   NOT NULL,
    kind     TEXT   NOT NULL,
    key      TEXT   NOT NULL,
    value    TEXT   NOT NULL,
    expires  BIGINT NOT NULL,
    PRIMARY KEY (instance, kind, key)
);

CREATE INDEX runtime_values_expires ON runtime_values (expires);
