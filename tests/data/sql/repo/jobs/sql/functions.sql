SET 'python.files' = '@DATA@/udfs.py';
SET 'python.executable' = '@PYTHON@';
CREATE TEMPORARY SYSTEM FUNCTION add_one AS 'udfs.add_one' LANGUAGE PYTHON;
CREATE TABLE src (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '4', 'fields.a.min' = '1', 'fields.a.max' = '1');
CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '@OUT@/functions/t', 'format' = 'csv');
INSERT INTO t SELECT add_one(a) FROM src;
