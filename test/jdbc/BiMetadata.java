// What a BI tool (Metabase, Tableau, Power BI) sees of the reporting layer
// through the PostgreSQL JDBC driver: the views it lists, their remarks, the
// columns with their descriptions and JDBC types, and a few rows.
//
//   java -cp postgresql.jar:. BiMetadata <jdbc url> <owner> <bi role> <published schema>
//
// Checks, as the owner, that every reporting view of the extension's schema
// is listed with REMARKS and every column described, with a scalar JDBC type
// except the two columns meant for the extension's functions (a stage
// history, a path array); and, as the BI role, that every published view is
// listed with REMARKS, every column described and scalar, that a few return
// rows, and that the raw tables are denied.  Ends with "N passed, N failed".

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

public class BiMetadata
{
	private static int passed = 0;
	private static int failed = 0;

	private static final Set<Integer> SCALAR = new HashSet<>(Arrays.asList(
		Types.BIT, Types.BOOLEAN, Types.TINYINT, Types.SMALLINT, Types.INTEGER, Types.BIGINT, Types.REAL,
		Types.FLOAT, Types.DOUBLE, Types.NUMERIC, Types.DECIMAL, Types.CHAR, Types.VARCHAR, Types.LONGVARCHAR,
		Types.NCHAR, Types.NVARCHAR, Types.DATE, Types.TIME, Types.TIMESTAMP, Types.TIMESTAMP_WITH_TIMEZONE));

	// columns of the extension's schema that are inputs of its functions, not for BI tools
	private static final Set<String> NOT_FOR_BI = new HashSet<>(Arrays.asList(
		"stage_histories.history", "opportunity_paths.path"));

	private static void check(boolean ok, String what)
	{
		if (ok)
			passed++;
		else
		{
			failed++;
			System.out.println("FAILED [jdbc]: " + what);
		}
	}

	private static Connection connect(String url, String user) throws SQLException
	{
		Properties props = new Properties();
		props.setProperty("user", user);
		return DriverManager.getConnection(url, props);
	}

	private static List<String> reportingViews(Connection c) throws SQLException
	{
		List<String> views = new ArrayList<>();
		try (Statement s = c.createStatement();
			 ResultSet r = s.executeQuery("SELECT view_name FROM attribution.reporting_views ORDER BY 1"))
		{
			while (r.next())
				views.add(r.getString(1));
		}
		return views;
	}

	// the views of a schema as getTables lists them, with their remarks
	private static TreeMap<String, String> listedViews(DatabaseMetaData md, String schema) throws SQLException
	{
		TreeMap<String, String> views = new TreeMap<>();
		try (ResultSet r = md.getTables(null, schema, "%", new String[] {"VIEW"}))
		{
			while (r.next())
				views.put(r.getString("TABLE_NAME"), r.getString("REMARKS"));
		}
		return views;
	}

	private static void checkViews(DatabaseMetaData md, String schema, List<String> expected, boolean allScalar)
		throws SQLException
	{
		TreeMap<String, String> listed = listedViews(md, schema);
		int columns = 0;

		for (String view : expected)
		{
			String remarks = listed.get(view);
			check(listed.containsKey(view), schema + "." + view + " is listed by getTables");
			check(remarks != null && !remarks.isEmpty(), schema + "." + view + " has REMARKS");
			int viewColumns = 0;
			try (ResultSet r = md.getColumns(null, schema, view, "%"))
			{
				while (r.next())
				{
					String column = r.getString("COLUMN_NAME");
					String description = r.getString("REMARKS");
					int type = r.getInt("DATA_TYPE");
					String typeName = r.getString("TYPE_NAME");

					viewColumns++;
					if (description == null || description.isEmpty())
						check(false, schema + "." + view + "." + column + " has a description");
					if (!SCALAR.contains(type) && (allScalar || !NOT_FOR_BI.contains(view + "." + column)))
						check(false, schema + "." + view + "." + column + " has a scalar JDBC type (it has "
							  + type + ", " + typeName + ")");
				}
			}
			check(viewColumns > 0, schema + "." + view + " has columns in getColumns");
			columns += viewColumns;
		}
		// one check for all the columns that passed (the failures were counted one by one)
		check(columns > 0, schema + ": every column of every view has a description and a scalar JDBC type");
		System.out.println("jdbc: " + schema + ": " + expected.size() + " views, " + columns + " columns");
	}

	private static long count(Connection c, String query) throws SQLException
	{
		try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(query))
		{
			r.next();
			return r.getLong(1);
		}
	}

	public static void main(String[] args) throws Exception
	{
		String url = args[0];
		String owner = args[1];
		String biRole = args[2];
		String published = args[3];

		try (Connection c = connect(url, owner))
		{
			List<String> views = reportingViews(c);
			check(views.size() > 20, "attribution.reporting_views lists the reporting views");
			checkViews(c.getMetaData(), "attribution", views, false);

			try (Connection bi = connect(url, biRole))
			{
				checkViews(bi.getMetaData(), published, views, true);
				for (String view : new String[] {"channel_performance", "waterfall_velocity", "models_enabled",
												 "data_driven_models", "reverse_waterfall_plan", "lead_quality_by_channel"})
				{
					long rows = -1;
					String error = "";
					try
					{
						rows = count(bi, "SELECT count(*) FROM " + published + "." + view);
					}
					catch (SQLException e)
					{
						error = ": " + e.getMessage();
					}
					check(rows > 0, published + "." + view + " returns rows to " + biRole + " (" + rows + error + ")");
				}
				// a filter a BI tool writes, with a parameter
				try (java.sql.PreparedStatement p = bi.prepareStatement(
						"SELECT sum(pipeline) FROM " + published + ".channel_performance WHERE model = ?"))
				{
					p.setString(1, "w_shaped");
					try (ResultSet r = p.executeQuery())
					{
						r.next();
						check(r.getBigDecimal(1) != null && r.getBigDecimal(1).scale() == 2,
							  "pipeline reads as a decimal of two places through JDBC");
					}
				}
				for (String table : new String[] {"attribution.touchpoints", "attribution.stage_events",
												  "attribution.channel_performance"})
				{
					String state = null;
					try
					{
						count(bi, "SELECT count(*) FROM " + table);
					}
					catch (SQLException e)
					{
						state = e.getSQLState();
					}
					check("42501".equals(state), table + " is denied to " + biRole + " (SQLSTATE " + state + ")");
				}
			}
		}
		System.out.println(passed + " passed, " + failed + " failed");
		System.exit(failed == 0 ? 0 : 1);
	}
}
