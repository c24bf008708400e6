CREATE TABLE src (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '100');
CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '@OUT@/hints/t', 'format' = 'csv');
-- The hint keeps three of the hundred rows.
INSERT INTO t SELECT a FROM src /*+ OPTIONS('number-of-rows' = '3') */;
