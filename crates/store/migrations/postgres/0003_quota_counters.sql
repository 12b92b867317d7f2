-- Quota counters: what `quota-by-key` policies counted, per counter key and period. Runtime
-- state, not configuration: writing a counter does not change the instance's revision. Counter
-- and period keys are compared exactly (they are evaluated policy expressions, not ids).
CREATE TABLE quota_counters (
    instance       TEXT             NOT NULL,
    counter_key    TEXT             NOT NULL,
    period_key     TEXT             NOT NULL,
    period_start   TEXT             NOT NULL,
    period_end     TEXT             NOT NULL,
    calls_count    BIGINT           NOT NULL,
    kb_transferred DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (instance, counter_key, period_key)
);
