-- Regressions of the bugs the hardening checks found (see doc/reliability.md).

-- sum(channel_credits) stored Infinity when a sum overflowed: such a value
-- cannot be read back (dump and restore failed); now an error
SELECT attribution.sum(cc, 1e308) FROM (VALUES ('{"a": 2}'::attribution.channel_credits)) v(cc);
SELECT attribution.sum(cc) FROM (VALUES ('{"a": 1e308, "b": 1}'::attribution.channel_credits), ('{"a": 1e308}')) v(cc);
-- large credits that cancel out are fine
SELECT attribution.sum(cc) FROM (VALUES ('{"a": 1e308}'::attribution.channel_credits), ('{"a": -1e308}')) v(cc);
SELECT attribution.sum(cc, -1e300)::text::attribution.channel_credits
FROM (VALUES ('{"a": 1e8}'::attribution.channel_credits)) v(cc);

-- quoted strings are read into buffers of their own size (a value of a
-- million names used to take a kilobyte per name); escapes still read back
SELECT '{"a\"b": 1, "c\\d": 2, "": 3}'::attribution.channel_credits;
SELECT '{"a\"b": 1, "c\\d": 2, "": 3}'::attribution.channel_credits::text::attribution.channel_credits;
SELECT '{"a\x": 1}'::attribution.channel_credits;
SELECT '{"abc'::attribution.channel_credits;
SELECT '{"abc\'::attribution.channel_credits;
SELECT count(*), sum(length(channel)) FROM attribution.each((
  SELECT ('{' || string_agg(format('"%s": 1', repeat('x', g)), ', ') || '}')::attribution.channel_credits
  FROM generate_series(1, 2000) g));
