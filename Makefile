# fjord - plain Makefile. `make` builds, `make test` runs every test,
# `make run` starts one node, `make install` honours PREFIX and DESTDIR.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= $(PREFIX)/etc
CC ?= cc
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 20

PKGS := libevent libevent_extra msgpack lmdb inih libsystemd
TEST_PKGS := check rdkafka
# Only the tools (bin/fjordctl parses JSON) and their unit tests link these.
TOOL_PKGS := jansson

# A fresh machine has none of the libraries: install them before the first
# pkg-config query. tools/install-deps is idempotent and quick when all is there.
ifeq ($(filter clean distclean,$(MAKECMDGOALS)),)
DEPS_OK := $(shell pkg-config --exists $(PKGS) $(TEST_PKGS) $(TOOL_PKGS) && command -v kcat >/dev/null && command -v nft >/dev/null && command -v ip >/dev/null && echo yes)
ifneq ($(DEPS_OK),yes)
$(info make: dependencies missing, running tools/install-deps)
$(shell tools/install-deps >&2)
endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
TEST_CFLAGS := $(shell pkg-config --cflags $(TEST_PKGS))
TEST_LIBS := $(shell pkg-config --libs $(TEST_PKGS))
TOOL_CFLAGS := $(shell pkg-config --cflags $(TOOL_PKGS))
TOOL_LIBS := $(shell pkg-config --libs $(TOOL_PKGS))

WARN := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -I. -Icommon $(PKG_CFLAGS)
LDLIBS := $(PKG_LIBS) -lm

B ?= build

COMMON_SRC := $(wildcard common/*.c common/kafka/*.c)
RAFT_SRC := $(wildcard worker/raft/*.c)
WORKER_SRC := $(filter-out worker/main.c,$(wildcard worker/*.c)) $(RAFT_SRC)
SUP_SRC := $(filter-out supervisor/main.c,$(wildcard supervisor/*.c))
UNIT_SRC := $(wildcard test/unit/test_*.c)
UNIT_HELPERS := $(filter-out $(UNIT_SRC),$(wildcard test/unit/*.c))
SIM_SRC := $(wildcard test/sim/*.c)
TOOL_SRC := $(wildcard tools/*.c)
FUZZ_SRC := $(wildcard test/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(B)/%.o,$(1))

LIB_COMMON := $(B)/libfjord_common.a
LIB_WORKER := $(B)/libfjord_worker.a
LIB_SUP := $(B)/libfjord_supervisor.a

BIN ?= bin
BINS := $(BIN)/fjord-supervisor $(BIN)/fjord-worker $(patsubst tools/%.c,$(BIN)/%,$(TOOL_SRC))
UNIT_BINS := $(patsubst test/unit/%.c,$(B)/test/%,$(UNIT_SRC))
SIM_BIN := $(if $(SIM_SRC),$(B)/test/sim)
FUZZ_BINS := $(patsubst test/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))

.PHONY: all deps test unit sim fuzz integration run install clean lint bench
all: $(BINS)

deps:
	tools/install-deps

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) $(TOOL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB_COMMON): $(call obj,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(LIB_WORKER): $(call obj,$(WORKER_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(LIB_SUP): $(call obj,$(SUP_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BIN)/fjord-worker: $(B)/worker/main.o $(LIB_WORKER) $(LIB_COMMON)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/fjord-supervisor: $(B)/supervisor/main.o $(LIB_SUP) $(LIB_COMMON)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/%: $(B)/tools/%.o $(LIB_WORKER) $(LIB_SUP) $(LIB_COMMON)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS) $(TOOL_LIBS)

$(B)/test/%: $(B)/test/unit/%.o $(call obj,$(UNIT_HELPERS)) $(LIB_WORKER) $(LIB_SUP) $(LIB_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS) $(TOOL_LIBS)
# Simulation objects live under $(B)/sim-obj/: $(B)/test/sim is the binary.
SIM_OBJ := $(patsubst test/sim/%.c,$(B)/sim-obj/%.o,$(SIM_SRC))
$(B)/sim-obj/%.o: test/sim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -MMD -MP -c $< -o $@
$(B)/test/sim: $(SIM_OBJ) $(LIB_WORKER) $(LIB_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS)

# Fuzz targets: libFuzzer + ASan/UBSan, compiled from source (not the libs)
# so the instrumentation covers the code under test.
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -I. -Icommon $(PKG_CFLAGS)
$(B)/fuzz/%: test/fuzz/%.c $(COMMON_SRC) $(RAFT_SRC) $(filter-out worker/main.c,$(wildcard worker/*.c))
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(filter-out $<,$^) $(LDLIBS)

# The worker process tests exec the worker binary built in $(BIN).
unit: $(UNIT_BINS) $(BIN)/fjord-worker
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; \
		CK_DEFAULT_TIMEOUT=120 FJORD_WORKER_BIN=$(BIN)/fjord-worker $$t; done

sim: $(SIM_BIN)
	@if [ -n "$(SIM_BIN)" ]; then $(SIM_BIN); fi

fuzz: $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do echo "== $$f ($(FUZZ_SECONDS)s)"; \
		mkdir -p $(B)/fuzz/corpus-$$(basename $$f); \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(B)/fuzz/corpus-$$(basename $$f) \
			test/fuzz/seeds-$$(basename $$f) 2>&1 | tail -n 12; done

# The tests run the binaries of $(BIN) unless FJORD_BIN names others.
integration: deps all
	FJORD_BIN="$${FJORD_BIN:-$(abspath $(BIN))}" test/integration/run-all

test: all unit sim fuzz integration
	@echo "make test: all suites passed"

lint:
	@! grep -nE '#include *<(event2|lmdb|msgpack)|\b(read|write|send|recv|time|clock_gettime|rand|srand|sleep|usleep)\(' worker/raft/*.c worker/raft/*.h \
		|| (echo "lint: worker/raft must stay pure (no I/O, clock or rand)"; exit 1)

run: all
	@mkdir -p data
	$(BIN)/fjord-supervisor -c conf/fjord.ini

bench: all
	tools/bench-run

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/fjord
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 conf/fjord.ini $(DESTDIR)$(SYSCONFDIR)/fjord/fjord.ini

clean:
	rm -rf $(B) $(BIN)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
.SECONDARY:
