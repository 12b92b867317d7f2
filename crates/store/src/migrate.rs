//! Numbered, forward-only schema migrations, one list per engine with the same names.

/// A migration: its number, name and SQL.
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// SQLite migrations, in order.
pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "entities",
        sql: include_str!("../migrations/sqlite/0001_entities.sql"),
    },
    Migration {
        version: 2,
        name: "entities_by_parent",
        sql: include_str!("../migrations/sqlite/0002_entities_by_parent.sql"),
    },
    Migration {
        version: 3,
        name: "quota_counters",
        sql: include_str!("../migrations/sqlite/0003_quota_counters.sql"),
    },
    Migration {
        version: 4,
        name: "request_records",
        sql: include_str!("../migrations/sqlite/0004_request_records.sql"),
    },
    Migration {
        version: 5,
        name: "change_feed",
        sql: include_str!("../migrations/sqlite/0005_change_feed.sql"),
    },
    Migration {
        version: 6,
        name: "audit_log",
        sql: include_str!("../migrations/sqlite/0006_audit_log.sql"),
    },
    Migration {
        version: 7,
        name: "runtime_values",
        sql: include_str!("../migrations/sqlite/0007_runtime_values.sql"),
    },
];

/// PostgreSQL migrations, in order.
pub(crate) const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "entities",
        sql: include_str!("../migrations/postgres/0001_entities.sql"),
    },
    Migration {
        version: 2,
        name: "entities_by_parent",
        sql: include_str!("../migrations/postgres/0002_entities_by_parent.sql"),
    },
    Migration {
        version: 3,
        name: "quota_counters",
        sql: include_str!("../migrations/postgres/0003_quota_counters.sql"),
    },
    Migration {
        version: 4,
        name: "request_records",
        sql: include_str!("../migrations/postgres/0004_request_records.sql"),
    },
    Migration {
        version: 5,
        name: "change_feed",
        sql: include_str!("../migrations/postgres/0005_change_feed.sql"),
    },
    Migration {
        version: 6,
        name: "audit_log",
        sql: include_str!("../migrations/postgres/0006_audit_log.sql"),
    },
    Migration {
        version: 7,
        name: "runtime_values",
        sql: include_str!("../migrations/postgres/0007_runtime_values.sql"),
    },
];

/// The bookkeeping table, the same on both engines.
pub(crate) const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    name    TEXT NOT NULL
)";

/// The newest migration in a list.
pub(crate) fn latest(list: &[Migration]) -> i64 {
    list.last().map_or(0, |m| m.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &str) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
        names.sort();
        names
    }

    #[test]
    fn both_engines_have_the_same_migrations_in_order() {
        let names =
            |list: &[Migration]| list.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(names(SQLITE), names(POSTGRES));
        for (i, m) in SQLITE.iter().enumerate() {
            assert_eq!(
                m.version,
                i as i64 + 1,
                "migrations are numbered 1, 2, 3, …"
            );
        }
        let expected: Vec<String> = SQLITE
            .iter()
            .map(|m| format!("{:04}_{}.sql", m.version, m.name))
            .collect();
        assert_eq!(files("sqlite"), expected, "every file is listed, in order");
        assert_eq!(files("postgres"), expected);
    }
}
