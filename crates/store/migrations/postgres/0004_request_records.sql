-- Request records: one row per call the gateway answered. Runtime data, not configuration: writing
-- records does not change the instance's revision. `ts` is the time the gateway received the call,
-- in milliseconds since the Unix epoch (integer arithmetic buckets it the same way on both
-- engines). Ids are case-folded; empty when the call had none (no API matched, no key).
-- `backend_code` and `service_time` are NULL when the call never reached a backend.
CREATE TABLE request_records (
    instance        TEXT             NOT NULL,
    ts              BIGINT           NOT NULL,
    request_id      TEXT             NOT NULL,
    method          TEXT             NOT NULL,
    url             TEXT             NOT NULL,
    ip_address      TEXT             NOT NULL,
    api_id          TEXT             NOT NULL,
    operation_id    TEXT             NOT NULL,
    product_id      TEXT             NOT NULL,
    subscription_id TEXT             NOT NULL,
    user_id         TEXT             NOT NULL,
    request_size    BIGINT           NOT NULL,
    response_size   BIGINT           NOT NULL,
    response_code   BIGINT           NOT NULL,
    backend_code    BIGINT,
    api_time        DOUBLE PRECISION NOT NULL,
    service_time    DOUBLE PRECISION,
    cache           TEXT             NOT NULL,
    api_region      TEXT             NOT NULL,
    country         TEXT             NOT NULL,
    region          TEXT             NOT NULL,
    zip             TEXT             NOT NULL
);

-- Every report reads one instance's time range; pruning reads the time alone.
CREATE INDEX request_records_by_time ON request_records (instance, ts);
CREATE INDEX request_records_ts ON request_records (ts);
