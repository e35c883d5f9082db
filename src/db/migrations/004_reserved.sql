-- opsdeck schema, version 4: no change.
SELECT 1;
