CREATE TABLE src (a INT) WITH (
  'connector' = 'datagen', 'number-of-rows' = '2');
CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '@OUT@/bom-crlf/t', 'format' = 'csv');
INSERT INTO t SELECT a FROM src
