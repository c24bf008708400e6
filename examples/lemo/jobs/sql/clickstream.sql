-- Clickstream enrichment: raw clicks joined with user profiles.
SET 'pipeline.name' = 'clickstream-sql';

CREATE TABLE clicks (
  user_id BIGINT,
  url STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'clicks',
  'properties.bootstrap.servers' = 'kafka.lemo-dev:9092',
  'format' = 'json'
);

CREATE TABLE clicks_per_minute (
  url STRING,
  window_end TIMESTAMP(3),
  clicks BIGINT
) WITH ('connector' = 'print');

/* One row per URL and minute; the ';' in this comment does not end a statement. */
INSERT INTO clicks_per_minute
SELECT url, window_end, COUNT(*)
FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY url, window_start, window_end;
