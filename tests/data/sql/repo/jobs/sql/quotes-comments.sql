-- A comment; with a semicolon.
CREATE TABLE `src;x` (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
/* A block comment; also with one. */
CREATE TABLE t (a INT, s STRING) WITH ('connector' = 'filesystem', 'path' = '@OUT@/quotes-comments/t', 'format' = 'csv');
INSERT INTO t SELECT a, 'it''s; a--b /* c */' FROM `src;x`; -- trailing comment
