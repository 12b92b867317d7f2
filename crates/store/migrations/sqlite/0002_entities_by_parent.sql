-- Lists of one parent's children (WHERE instance, kind, parent ORDER BY created) read only those rows;
-- without this index SQLite's planner scanned every row of the kind through entities_by_kind.
CREATE INDEX entities_by_parent ON entities (instance, kind, parent, created);
