//! Request records: what the gateway recorded about each call, and the report aggregations over
//! them. One SQL text for both engines: `GROUP BY` with `COUNT`/`SUM`/`MIN`/`MAX`/`AVG`, time
//! buckets by integer division of millisecond timestamps, `$N` placeholders.

use crate::StoreError;
use sqlx::any::AnyRow;
// Dynamic statements are assembled from constant column names and numbered placeholders only;
// every value is bound.
use sqlx::{AnyPool, AssertSqlSafe, Row};

/// One call the gateway answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// When the gateway received the call, in milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// The call's request id.
    pub request_id: String,
    /// The HTTP method.
    pub method: String,
    /// The URL as the caller addressed it.
    pub url: String,
    /// The client's IP address.
    pub ip_address: String,
    /// The API's id, or empty when no API matched.
    pub api_id: String,
    /// The operation's id, or empty when no operation matched.
    pub operation_id: String,
    /// The product of the subscription used, or empty.
    pub product_id: String,
    /// The subscription whose key was used, or empty.
    pub subscription_id: String,
    /// The subscription's user, or empty.
    pub user_id: String,
    /// Request body bytes received.
    pub request_size: i64,
    /// Response body bytes sent.
    pub response_size: i64,
    /// The status the gateway answered.
    pub response_code: i64,
    /// The backend's status, if the call reached a backend.
    pub backend_code: Option<i64>,
    /// Total time in the gateway, in milliseconds (until the response body ended).
    pub api_time: f64,
    /// Time waiting for the backend's response headers, in milliseconds, if the call reached one.
    pub service_time: Option<f64>,
    /// `none`, `hit` or `miss`.
    pub cache: String,
    /// The gateway's region.
    pub api_region: String,
    /// The client's country.
    pub country: String,
    /// The client's region.
    pub region: String,
    /// The client's zip code.
    pub zip: String,
}

/// Which records a report reads: a time range (inclusive, milliseconds) and `eq` terms. Ids are
/// compared case-insensitively, the region exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// The first millisecond.
    pub from: i64,
    /// The last millisecond.
    pub to: i64,
    /// Only this API.
    pub api_id: Option<String>,
    /// Only this operation.
    pub operation_id: Option<String>,
    /// Only this product.
    pub product_id: Option<String>,
    /// Only this subscription.
    pub subscription_id: Option<String>,
    /// Only this user.
    pub user_id: Option<String>,
    /// Only this gateway region.
    pub api_region: Option<String>,
}

/// What a report groups records by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// By API.
    Api,
    /// By API and operation.
    Operation,
    /// By product.
    Product,
    /// By subscription (with its user and product).
    Subscription,
    /// By user.
    User,
    /// By country, region and zip.
    Geo,
    /// By time bucket of this many milliseconds, counted from the Unix epoch.
    Time(i64),
}

impl Grouping {
    /// The grouped columns (a time bucket is the one computed column `bucket`).
    fn columns(self) -> &'static [&'static str] {
        match self {
            Grouping::Api => &["api_id"],
            Grouping::Operation => &["api_id", "operation_id"],
            Grouping::Product => &["product_id"],
            Grouping::Subscription => &["subscription_id", "user_id", "product_id"],
            Grouping::User => &["user_id"],
            Grouping::Geo => &["country", "region", "zip"],
            Grouping::Time(_) => &[],
        }
    }
}

/// One group of a report: the key and the aggregates (REFERENCE §15.2).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    /// The grouped values, in [`Grouping`]'s column order (empty for time buckets).
    pub key: Vec<String>,
    /// The start of the time bucket, in milliseconds (time grouping only).
    pub bucket: Option<i64>,
    /// Status ≤ 301, 304, 307.
    pub success: i64,
    /// Status 401, 403, 429.
    pub blocked: i64,
    /// Status 400 and 500–599.
    pub failed: i64,
    /// Every other status.
    pub other: i64,
    /// All calls.
    pub total: i64,
    /// Request plus response body bytes.
    pub bandwidth: i64,
    /// Calls served from the cache.
    pub cache_hits: i64,
    /// Calls looked up in the cache and sent to the backend.
    pub cache_misses: i64,
    /// Total time: average, minimum, maximum (ms).
    pub api_time: (f64, f64, f64),
    /// Backend time of the calls that reached a backend: average, minimum, maximum (ms); 0 when none did.
    pub service_time: (f64, f64, f64),
}

/// The parameters of one row `append` writes: the instance, then [`COLUMNS`].
const COLUMN_COUNT: usize = 22;
/// Rows per `INSERT` statement: 45 × 22 = 990 parameters, under SQLite's oldest limit (999).
const ROWS_PER_INSERT: usize = 45;

/// How a statement writes its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parameters {
    /// `$1, $2, …`
    Numbered,
    /// `?, ?, …`, bound in order.
    Anonymous,
}

/// The statements for 1 to [`ROWS_PER_INSERT`] rows, made once.
fn inserts(parameters: Parameters) -> &'static [String] {
    use std::sync::LazyLock;
    static NUMBERED: LazyLock<Vec<String>> = LazyLock::new(|| statements(Parameters::Numbered));
    static ANONYMOUS: LazyLock<Vec<String>> = LazyLock::new(|| statements(Parameters::Anonymous));
    fn statements(parameters: Parameters) -> Vec<String> {
        (1..=ROWS_PER_INSERT)
            .map(|rows| insert_statement(rows, parameters))
            .collect()
    }
    match parameters {
        Parameters::Numbered => &NUMBERED,
        Parameters::Anonymous => &ANONYMOUS,
    }
}

/// `INSERT INTO request_records (…) VALUES ($1, …), (…), …` for `rows` rows.
fn insert_statement(rows: usize, parameters: Parameters) -> String {
    use std::fmt::Write;
    let mut sql = format!("INSERT INTO request_records (instance, {COLUMNS}) VALUES ");
    // `service_time`'s place among the inserted columns (`instance` first).
    let service_time = COLUMNS
        .split(',')
        .position(|c| c.trim() == "service_time")
        .map(|i| i + 1);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..COLUMN_COUNT {
            if column > 0 {
                sql.push_str(", ");
            }
            // `service_time` is bound as -1 when there is none: no NULL float is ever bound
            // (see `sql::set_quota_statement`).
            let nullable = Some(column) == service_time;
            if nullable {
                sql.push_str("NULLIF(");
            }
            match parameters {
                Parameters::Numbered => {
                    let _ = write!(sql, "${}", row * COLUMN_COUNT + column + 1);
                }
                Parameters::Anonymous => sql.push('?'),
            }
            if nullable {
                sql.push_str(", -1.0)");
            }
        }
        sql.push(')');
    }
    sql
}

const AGGREGATES: &str = "COUNT(*) AS total,
    SUM(CASE WHEN response_code <= 301 OR response_code IN (304, 307) THEN 1 ELSE 0 END) AS success,
    SUM(CASE WHEN response_code IN (401, 403, 429) THEN 1 ELSE 0 END) AS blocked,
    SUM(CASE WHEN response_code = 400 OR (response_code >= 500 AND response_code < 600) THEN 1 ELSE 0 END) AS failed,
    CAST(SUM(request_size + response_size) AS BIGINT) AS bandwidth,
    SUM(CASE WHEN cache = 'hit' THEN 1 ELSE 0 END) AS cache_hits,
    SUM(CASE WHEN cache = 'miss' THEN 1 ELSE 0 END) AS cache_misses,
    AVG(api_time) AS api_avg, MIN(api_time) AS api_min, MAX(api_time) AS api_max,
    AVG(service_time) AS service_avg, MIN(service_time) AS service_min,
    MAX(service_time) AS service_max";

const COLUMNS: &str = "ts, request_id, method, url, ip_address, api_id, operation_id, product_id,
    subscription_id, user_id, request_size, response_size, response_code, backend_code, api_time,
    service_time, cache, api_region, country, region, zip";

/// A `WHERE` clause for `filter` and its values, placeholders from `$1` (the instance).
fn where_clause(filter: &RecordFilter) -> (String, Vec<String>) {
    let mut sql = String::from("instance = $1 AND ts >= $2 AND ts <= $3");
    let mut values = Vec::new();
    let terms = [
        ("api_id", &filter.api_id, true),
        ("operation_id", &filter.operation_id, true),
        ("product_id", &filter.product_id, true),
        ("subscription_id", &filter.subscription_id, true),
        ("user_id", &filter.user_id, true),
        ("api_region", &filter.api_region, false),
    ];
    for (column, value, folded) in terms {
        if let Some(value) = value {
            values.push(if folded {
                value.to_lowercase()
            } else {
                value.clone()
            });
            sql.push_str(&format!(" AND {column} = ${}", values.len() + 3));
        }
    }
    (sql, values)
}

/// `sql`, whose `WHERE` clause and `values` come from [`where_clause`], with that clause's
/// parameters bound: the instance, the time range, then the values.
fn filtered<'q>(
    sql: String,
    instance: &'q str,
    filter: &RecordFilter,
    values: &'q [String],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .bind(instance)
        .bind(filter.from)
        .bind(filter.to);
    for value in values {
        query = query.bind(value);
    }
    query
}

/// Appends records in one transaction begun with `begin`.
pub(crate) async fn append(
    pool: &AnyPool,
    dialect: &crate::sql::Dialect,
    instance: &str,
    records: &[RequestRecord],
) -> Result<(), StoreError> {
    // One statement per chunk: a batch costs a few round trips to the database, not one per row.
    let mut tx = pool.begin_with(dialect.begin).await?;
    for chunk in records.chunks(ROWS_PER_INSERT) {
        let sql: &'static str = &inserts(dialect.parameters)[chunk.len() - 1];
        let mut query = sqlx::query(sql);
        for r in chunk {
            query = query
                .bind(instance)
                .bind(r.timestamp)
                .bind(&r.request_id)
                .bind(&r.method)
                .bind(&r.url)
                .bind(&r.ip_address)
                .bind(r.api_id.to_lowercase())
                .bind(r.operation_id.to_lowercase())
                .bind(r.product_id.to_lowercase())
                .bind(r.subscription_id.to_lowercase())
                .bind(r.user_id.to_lowercase())
                .bind(r.request_size)
                .bind(r.response_size)
                .bind(r.response_code)
                .bind(r.backend_code)
                .bind(r.api_time)
                .bind(r.service_time.unwrap_or(-1.0))
                .bind(&r.cache)
                .bind(&r.api_region)
                .bind(&r.country)
                .bind(&r.region)
                .bind(&r.zip);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn report_row(row: &AnyRow, grouping: Grouping) -> Result<ReportRow, sqlx::Error> {
    let key = grouping
        .columns()
        .iter()
        .map(|c| row.try_get::<String, _>(*c))
        .collect::<Result<Vec<_>, _>>()?;
    let bucket = match grouping {
        Grouping::Time(_) => Some(row.try_get::<i64, _>("bucket")?),
        _ => None,
    };
    let success: i64 = row.try_get("success")?;
    let blocked: i64 = row.try_get("blocked")?;
    let failed: i64 = row.try_get("failed")?;
    let total: i64 = row.try_get("total")?;
    let time = |name: &str| -> Result<f64, sqlx::Error> {
        Ok(row.try_get::<Option<f64>, _>(name)?.unwrap_or(0.0))
    };
    Ok(ReportRow {
        key,
        bucket,
        success,
        blocked,
        failed,
        other: total - success - blocked - failed,
        total,
        bandwidth: row.try_get::<Option<i64>, _>("bandwidth")?.unwrap_or(0),
        cache_hits: row.try_get("cache_hits")?,
        cache_misses: row.try_get("cache_misses")?,
        api_time: (time("api_avg")?, time("api_min")?, time("api_max")?),
        service_time: (
            time("service_avg")?,
            time("service_min")?,
            time("service_max")?,
        ),
    })
}

/// The groups of `grouping` among the records `filter` selects, ordered by key.
pub(crate) async fn report(
    pool: &AnyPool,
    instance: &str,
    grouping: Grouping,
    filter: &RecordFilter,
) -> Result<Vec<ReportRow>, StoreError> {
    let (condition, values) = where_clause(filter);
    let (select, group) = match grouping {
        Grouping::Time(_) => {
            let n = values.len() + 4;
            (format!("(ts / ${n}) * ${n} AS bucket"), "bucket".to_owned())
        }
        other => (other.columns().join(", "), other.columns().join(", ")),
    };
    let sql = format!(
        "SELECT {select}, {AGGREGATES} FROM request_records WHERE {condition}
        GROUP BY {group} ORDER BY {group}"
    );
    let mut query = filtered(sql, instance, filter, &values);
    if let Grouping::Time(interval) = grouping {
        query = query.bind(interval.max(1));
    }
    let rows = query.fetch_all(pool).await?;
    Ok(rows
        .iter()
        .map(|row| report_row(row, grouping))
        .collect::<Result<_, _>>()?)
}

fn request_record(row: &AnyRow) -> Result<RequestRecord, sqlx::Error> {
    Ok(RequestRecord {
        timestamp: row.try_get("ts")?,
        request_id: row.try_get("request_id")?,
        method: row.try_get("method")?,
        url: row.try_get("url")?,
        ip_address: row.try_get("ip_address")?,
        api_id: row.try_get("api_id")?,
        operation_id: row.try_get("operation_id")?,
        product_id: row.try_get("product_id")?,
        subscription_id: row.try_get("subscription_id")?,
        user_id: row.try_get("user_id")?,
        request_size: row.try_get("request_size")?,
        response_size: row.try_get("response_size")?,
        response_code: row.try_get("response_code")?,
        backend_code: row.try_get("backend_code")?,
        api_time: row.try_get("api_time")?,
        service_time: row.try_get("service_time")?,
        cache: row.try_get("cache")?,
        api_region: row.try_get("api_region")?,
        country: row.try_get("country")?,
        region: row.try_get("region")?,
        zip: row.try_get("zip")?,
    })
}

/// The records `filter` selects, oldest first, `skip` then at most `top`; and how many there are.
pub(crate) async fn requests(
    pool: &AnyPool,
    instance: &str,
    filter: &RecordFilter,
    skip: u64,
    top: u64,
) -> Result<(Vec<RequestRecord>, u64), StoreError> {
    let (condition, values) = where_clause(filter);
    let count_sql = format!("SELECT COUNT(*) AS n FROM request_records WHERE {condition}");
    let total: i64 = filtered(count_sql, instance, filter, &values)
        .fetch_one(pool)
        .await?
        .try_get("n")?;
    let n = values.len() + 4;
    let sql = format!(
        "SELECT {COLUMNS} FROM request_records WHERE {condition}
        ORDER BY ts, request_id LIMIT ${n} OFFSET ${}",
        n + 1
    );
    let query = filtered(sql, instance, filter, &values);
    let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let rows = query
        .bind(clamp(top))
        .bind(clamp(skip))
        .fetch_all(pool)
        .await?;
    let records = rows.iter().map(request_record).collect::<Result<_, _>>()?;
    Ok((records, u64::try_from(total).unwrap_or(0)))
}

/// Deletes every instance's records older than `before` (milliseconds); returns how many.
pub(crate) async fn prune(pool: &AnyPool, before: i64) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM request_records WHERE ts < $1")
        .bind(before)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}
