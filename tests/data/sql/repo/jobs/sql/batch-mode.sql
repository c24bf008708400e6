SET 'execution.runtime-mode' = 'batch';
CREATE TABLE src (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '6');
CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '@OUT@/batch-mode/t', 'format' = 'csv');
INSERT INTO t SELECT a FROM src ORDER BY a;
