-- The total lives in one row, so reading it costs the same at ten hits or ten billion
-- (the original app counted rows with count(*), which slowed down as the table grew).
CREATE TABLE hit_counter (
    id   smallint PRIMARY KEY CHECK (id = 1),
    hits bigint   NOT NULL CHECK (hits >= 0)
);
INSERT INTO hit_counter (id, hits) VALUES (1, 0);

-- The X-Request-Id of every counted page load: a retry of the same request, on any replica,
-- finds its id here and is not counted again. The service deletes rows older than
-- REQUEST_ID_RETENTION_SECONDS; BRIN keeps that range scan cheap for append-ordered rows.
CREATE TABLE hit_request (
    request_id text        PRIMARY KEY,
    counted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hit_request_counted_at ON hit_request USING brin (counted_at);
