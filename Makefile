# PGXS build of the attribution extension.
#   make PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
#   make install
#   make installcheck        (against a running server)
# Warnings-as-errors and assertions come from the test command through
# PG_CFLAGS, never from here, so that a newer compiler cannot break a build.

EXTENSION = attribution
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = attribution
# shared pieces
OBJS = src/attribution.o src/compat.o src/aggutil.o src/aggstate.o src/arena.o src/textio.o src/binio.o src/strdict.o
# rule-based attribution (doc/rule_based.md)
OBJS += src/models.o src/rule_input.o src/touch_buffer.o src/journey.o src/credit_window.o src/credit_map.o src/journey_state.o src/channel_credit.o src/credit_by_channel.o
# the demand waterfall (doc/waterfall.md)
OBJS += src/stage_ladder.o src/stage_history.o src/stage_accessors.o src/duration_hist.o src/waterfall.o src/stage_check.o
# data-driven attribution (doc/paths.md)
OBJS += src/exactsum.o src/path_transforms.o src/path_summary.o src/path_summary_build.o src/markov.o src/markov_solve.o src/dense_lu.o src/shapley.o src/counterfactual.o src/heuristics.o
# the reporting layer: the guard that keeps a cascade from dropping the extension
OBJS += src/drop_guard.o

# The install script of the newest version is generated from the ordered
# pieces in src/sql/ (the single source of truth); released versions' full
# scripts and every upgrade script are kept, frozen, in release/.
SQL_PIECES = $(sort $(wildcard src/sql/*.sql))
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
DATA = $(filter-out release/$(EXTENSION)--$(EXTVERSION).sql,$(wildcard release/$(EXTENSION)--*.sql))

REGRESS = extension
REGRESS += rule_models rule_errors journey_type window_credit channel_credit labels
REGRESS += stage_history waterfall
REGRESS += paths path_summary markov shapley
# storable aggregate states (doc/scale-out-aggregates.md)
REGRESS += aggregate_states
# reporting layer (doc/reporting.md)
REGRESS += reporting_tables reporting_views reporting_paths reporting_waterfall reporting_demo reporting_bi reporting_maintain
REGRESS += privileges robustness scale_out
# numeric edges, equal values in other forms, attribution.max_memory
REGRESS += limits
REGRESS_OPTS = --load-extension=$(EXTENSION)

EXTRA_CLEAN = $(EXTENSION)--$(EXTVERSION).sql test/driver $(EXTENSION)-*.zip

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# A released version's script is frozen in release/: the generated one must
# not differ from it (raise default_version and write an upgrade script).
$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PIECES) $(EXTENSION).control
	cat $(SQL_PIECES) > $@
	@if [ -f release/$@ ] && ! cmp -s $@ release/$@; then \
		echo "$@ differs from release/$@: version $(EXTVERSION) is released and its script is frozen." >&2; \
		echo "Raise default_version in $(EXTENSION).control and write release/$(EXTENSION)--$(EXTVERSION)--<new>.sql." >&2; \
		rm -f $@; exit 1; \
	fi

# The libpq test driver (property tests); see CONTRIBUTING.md.
PG_INCLUDEDIR_CLIENT = $(shell $(PG_CONFIG) --includedir)
PG_LIBDIR_CLIENT = $(shell $(PG_CONFIG) --libdir)
DRIVER_SRCS = test/driver.c $(sort $(wildcard test/test_*.c))
test/driver: $(DRIVER_SRCS) test/driver.h
	$(CC) $(CFLAGS) $(PG_CFLAGS) -I$(PG_INCLUDEDIR_CLIENT) -o $@ $(DRIVER_SRCS) -L$(PG_LIBDIR_CLIENT) -lpq -lm

.PHONY: driver
driver: test/driver

# The distribution archive (PGXN): the committed tree of HEAD, only tracked
# files, under the folder attribution-<version>/.  DIST_ARCHIVE names the file.
DISTNAME = $(EXTENSION)-$(EXTVERSION)
DIST_ARCHIVE ?= $(DISTNAME).zip
.PHONY: dist
dist:
	git archive --format=zip --prefix=$(DISTNAME)/ --output=$(DIST_ARCHIVE) HEAD
	@echo "wrote $(DIST_ARCHIVE) (the tree of commit $$(git rev-parse --short HEAD))"
	@git diff --quiet HEAD -- || echo "note: changes not committed are not in $(DIST_ARCHIVE)"
