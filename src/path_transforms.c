/*
 * path_transforms.c
 *		Plain functions on paths (text[] of channels in time order), named as
 *		in the common open-source attribution packages:
 *
 *		path_exposure(p)					collapse consecutive repeats
 *		path_first(p)						keep each channel's first occurrence
 *		path_trim(p, n)						keep the last n touches
 *		path_remove_if_not_all(p, cs)		drop the channels cs, unless that
 *											empties the path
 *		path_remove_if_last_and_not_all(p, cs)
 *											strip a trailing run of channels of
 *											cs, unless that empties the path
 *
 * Channels are compared byte by byte.  A null element is an error; results
 * are one-dimensional arrays with lower bound 1 (an empty path gives an empty
 * array).
 */
#include "postgres.h"

#include "compat.h"

#include "attribution.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "strdict.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(attribution_path_exposure);
PG_FUNCTION_INFO_V1(attribution_path_first);
PG_FUNCTION_INFO_V1(attribution_path_trim);
PG_FUNCTION_INFO_V1(attribution_path_remove_if_not_all);
PG_FUNCTION_INFO_V1(attribution_path_remove_if_last_and_not_all);

/* the elements of a text[] argument */
typedef struct TextList
{
	Datum	   *items;
	int			count;
} TextList;

static void
text_list_from_array(ArrayType *array, const char *what, TextList *list)
{
	bool	   *nulls;
	int			i;

	check_one_dimension(array, what, "Pass a text[] of channels in time order.");
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT,
					  &list->items, &nulls, &list->count);
	for (i = 0; i < list->count; i++)
	{
		INTERRUPT_EVERY(i);
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s contains a null channel", what),
					 errdetail("Element %d of the array is null.", i + 1),
					 errhint("Remove nulls first, for example with array_remove(%s, NULL).",
							 what)));
	}
}

static bool
text_items_equal(Datum a, Datum b)
{
	text	   *ta = (text *) DatumGetPointer(a);
	text	   *tb = (text *) DatumGetPointer(b);

	return VARSIZE_ANY_EXHDR(ta) == VARSIZE_ANY_EXHDR(tb) &&
		memcmp(VARDATA_ANY(ta), VARDATA_ANY(tb), VARSIZE_ANY_EXHDR(ta)) == 0;
}

static int
text_item_intern(StrDict *dict, Datum item)
{
	text	   *t = (text *) DatumGetPointer(item);

	return strdict_intern(dict, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

static int
text_item_lookup(StrDict *dict, Datum item)
{
	text	   *t = (text *) DatumGetPointer(item);

	return strdict_lookup(dict, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

static ArrayType *
text_array_from_items(Datum *items, int count)
{
	return construct_array(items, count, TEXTOID, -1, false, TYPALIGN_INT);
}

/* a dictionary of the channels argument */
static StrDict *
channel_set_from_array(ArrayType *array)
{
	TextList	channels;
	StrDict    *set;
	int			i;

	text_list_from_array(array, "channels", &channels);
	set = strdict_create(Max(channels.count, 8));
	for (i = 0; i < channels.count; i++)
	{
		INTERRUPT_EVERY(i);
		(void) text_item_intern(set, channels.items[i]);
	}
	return set;
}

/*
 * Keep, in order, the items of the path that are not in dict; with add_kept,
 * each kept item is added to dict, so that only its first occurrence is
 * kept.  Returns the number kept.
 */
static int
path_keep_absent(TextList *path, StrDict *dict, bool add_kept)
{
	int			kept = 0;
	int			i;

	for (i = 0; i < path->count; i++)
	{
		INTERRUPT_EVERY(i);
		if (text_item_lookup(dict, path->items[i]) >= 0)
			continue;
		if (add_kept)
			(void) text_item_intern(dict, path->items[i]);
		path->items[kept++] = path->items[i];
	}
	return kept;
}

Datum
attribution_path_exposure(PG_FUNCTION_ARGS)
{
	TextList	path;
	int			kept = 0;
	int			i;

	text_list_from_array(PG_GETARG_ARRAYTYPE_P(0), "path", &path);
	for (i = 0; i < path.count; i++)
	{
		INTERRUPT_EVERY(i);
		if (kept > 0 && text_items_equal(path.items[kept - 1], path.items[i]))
			continue;
		path.items[kept++] = path.items[i];
	}
	PG_RETURN_ARRAYTYPE_P(text_array_from_items(path.items, kept));
}

Datum
attribution_path_first(PG_FUNCTION_ARGS)
{
	TextList	path;
	int			kept;

	text_list_from_array(PG_GETARG_ARRAYTYPE_P(0), "path", &path);
	kept = path_keep_absent(&path, strdict_create(Max(path.count, 8)), true);
	PG_RETURN_ARRAYTYPE_P(text_array_from_items(path.items, kept));
}

Datum
attribution_path_trim(PG_FUNCTION_ARGS)
{
	TextList	path;
	int32		keep = PG_GETARG_INT32(1);
	int			start;

	if (keep < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the number of touches to keep must be at least 1"),
				 errdetail("path_trim was called with n = %d.", keep),
				 errhint("path_trim(path, n) keeps the last n touches of the path.")));
	text_list_from_array(PG_GETARG_ARRAYTYPE_P(0), "path", &path);
	start = path.count > keep ? path.count - keep : 0;
	PG_RETURN_ARRAYTYPE_P(text_array_from_items(path.items + start,
												path.count - start));
}

Datum
attribution_path_remove_if_not_all(PG_FUNCTION_ARGS)
{
	TextList	path;
	int			kept;

	text_list_from_array(PG_GETARG_ARRAYTYPE_P(0), "path", &path);
	kept = path_keep_absent(&path, channel_set_from_array(PG_GETARG_ARRAYTYPE_P(1)), false);
	/* removing every touch would leave no journey: keep the path as it is */
	if (kept == 0)
		kept = path.count;
	PG_RETURN_ARRAYTYPE_P(text_array_from_items(path.items, kept));
}

Datum
attribution_path_remove_if_last_and_not_all(PG_FUNCTION_ARGS)
{
	TextList	path;
	StrDict    *remove;
	int			end;

	text_list_from_array(PG_GETARG_ARRAYTYPE_P(0), "path", &path);
	remove = channel_set_from_array(PG_GETARG_ARRAYTYPE_P(1));
	end = path.count;
	while (end > 0 && text_item_lookup(remove, path.items[end - 1]) >= 0)
	{
		end--;
		INTERRUPT_EVERY(end);
	}
	/* the whole path is such a run: keep it as it is */
	if (end == 0)
		end = path.count;
	PG_RETURN_ARRAYTYPE_P(text_array_from_items(path.items, end));
}
