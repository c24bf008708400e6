SET 'pipeline.name' = 'loose-inserts';
CREATE TABLE src (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
CREATE TABLE a (a INT) WITH ('connector' = 'filesystem', 'path' = '@OUT@/loose-inserts/a', 'format' = 'csv');
INSERT INTO a SELECT a FROM src;
CREATE TABLE c WITH ('connector' = 'filesystem', 'path' = '@OUT@/loose-inserts/c', 'format' = 'csv') AS SELECT a FROM src;
CREATE TABLE p (a INT) WITH ('connector' = 'print');
EXECUTE INSERT INTO p SELECT a FROM src;
