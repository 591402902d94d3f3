-- Reporting layer, part 2a: the settings every reporting view follows,
-- whoever reads it.
--
-- reporting_time_zone: the time zone in which the views cut months, days
-- and cohorts (default UTC), so that a dashboard shows the same months
-- whatever the time zone of the BI client's session.

CREATE FUNCTION @extschema@.check_setting(name text, value text)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF name OPERATOR(pg_catalog.=) 'reporting_time_zone' THEN
		IF value IS NULL THEN
			RETURN true;		-- NOT NULL is the column's business
		END IF;
		BEGIN
			PERFORM pg_catalog.timezone(value, timestamptz '2000-01-01 00:00:00+00');
		EXCEPTION WHEN invalid_parameter_value OR feature_not_supported THEN
			RAISE EXCEPTION 'time zone "%" is not recognized', value
				USING ERRCODE = 'check_violation',
				DETAIL = 'The reporting time zone must be a time zone name PostgreSQL knows.',
				HINT = 'Use a name of pg_timezone_names, such as ''UTC'' or ''Europe/Berlin''.';
		END;
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.check_setting(text, text) IS
	'Check constraint of settings: true when the value is valid for the setting, otherwise an error naming the problem';

CREATE TABLE @extschema@.settings (
	name text NOT NULL,
	value text NOT NULL,
	CONSTRAINT settings_pkey PRIMARY KEY (name),
	CONSTRAINT settings_name_known CHECK (name IN ('reporting_time_zone')),
	CONSTRAINT settings_value_valid CHECK (@extschema@.check_setting(name, value))
);
COMMENT ON TABLE @extschema@.settings IS
	'Settings of the reporting views (no row: the default): reporting_time_zone (default UTC) is the time zone of their months, days and cohorts';
COMMENT ON COLUMN @extschema@.settings.name IS 'Name of the setting: reporting_time_zone';
COMMENT ON COLUMN @extschema@.settings.value IS 'Its value (a time zone name for reporting_time_zone)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.settings', '');
-- read by every view that cuts time into months or days
GRANT SELECT ON @extschema@.settings TO PUBLIC;

CREATE FUNCTION @extschema@.reporting_time_zone()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce((SELECT s.value FROM @extschema@.settings s
					 WHERE s.name OPERATOR(pg_catalog.=) 'reporting_time_zone'), 'UTC')
$$;
COMMENT ON FUNCTION @extschema@.reporting_time_zone() IS
	'The time zone in which the reporting views cut months, days and cohorts: the setting reporting_time_zone, UTC by default';
