CREATE TABLE src (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '5');
CREATE TABLE a (a INT) WITH ('connector' = 'filesystem', 'path' = '@OUT@/begin-statement-set/a', 'format' = 'csv');
CREATE TABLE b (a INT) WITH ('connector' = 'filesystem', 'path' = '@OUT@/begin-statement-set/b', 'format' = 'csv');
BEGIN STATEMENT SET;
INSERT INTO a SELECT a FROM src;
INSERT INTO b SELECT a FROM src;
END;
