CREATE TABLE src (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '4');
CREATE TABLE a (a INT) WITH ('connector' = 'filesystem', 'path' = '@OUT@/execute-statement-set/a', 'format' = 'csv');
CREATE TABLE b WITH ('connector' = 'blackhole') LIKE a (EXCLUDING OPTIONS);
EXECUTE STATEMENT SET
BEGIN
INSERT INTO a SELECT a FROM src;
INSERT INTO b SELECT a FROM src;
END;
