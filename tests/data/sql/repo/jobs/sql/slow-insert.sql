CREATE TABLE src (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '150', 'rows-per-second' = '50');
CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '@OUT@/slow-insert/t', 'format' = 'csv');
INSERT INTO t SELECT a FROM src;
