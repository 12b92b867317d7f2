-- The change feed: what changed in an instance after a given revision (Store::changes), so that a
-- gateway applies only what a write changed. Written entities are found by their `revision`;
-- deletions leave a row here, written in the deleting transaction (one row per key: the latest
-- deletion). Rows at or below an instance's `history_from` may have been pruned: a reader behind
-- that revision reads everything again. Instances that existed before this migration deleted
-- entities without a trace, so their history starts at their current revision.
CREATE TABLE deletions (
    instance TEXT   NOT NULL REFERENCES instances (name) ON DELETE CASCADE,
    kind     TEXT   NOT NULL,
    parent   TEXT   NOT NULL,
    id_key   TEXT   NOT NULL,
    revision BIGINT NOT NULL,
    PRIMARY KEY (instance, kind, parent, id_key)
);

CREATE INDEX deletions_by_revision ON deletions (instance, revision);
CREATE INDEX entities_by_revision ON entities (instance, revision);

ALTER TABLE instances ADD COLUMN history_from BIGINT NOT NULL DEFAULT 0;
UPDATE instances SET history_from = revision;
