-- Instances: one row per API Management instance hosted here; `revision` counts configuration writes.
CREATE TABLE instances (
    name     TEXT PRIMARY KEY,
    revision BIGINT NOT NULL
);

-- Every configuration entity, as a JSON document, keyed by instance, kind, parent and id.
-- `id_key` is the case-folded id (ids are case-insensitive); `id` keeps the spelling of creation.
-- `created` and `revision` are the configuration revisions that created and last wrote the row.
CREATE TABLE entities (
    instance TEXT   NOT NULL REFERENCES instances (name) ON DELETE CASCADE,
    kind     TEXT   NOT NULL,
    parent   TEXT   NOT NULL,
    id_key   TEXT   NOT NULL,
    id       TEXT   NOT NULL,
    created  BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    body     TEXT   NOT NULL,
    PRIMARY KEY (instance, kind, parent, id_key)
);

CREATE INDEX entities_by_kind ON entities (instance, kind, created);
