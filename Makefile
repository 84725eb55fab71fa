# fjord - plain Makefile. `make` builds, `make test` runs every test (and the
# lint), `make run` starts one node, `make install` honours PREFIX and DESTDIR.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= $(PREFIX)/etc
CC ?= cc
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 20

PKGS := libevent libevent_extra msgpack lmdb inih libsystemd zlib libzstd liblz4
# Snappy decodes produced batches too, but not every release ships a
# snappy.pc (Debian's 1.1.9 does; older ones do not): asked for apart, with
# a plain -lsnappy when pkg-config does not know it.
SNAPPY_CFLAGS := $(shell pkg-config --cflags snappy 2>/dev/null)
SNAPPY_LIBS := $(shell pkg-config --libs snappy 2>/dev/null || echo -lsnappy)
TEST_PKGS := check rdkafka
# Only the tools (bin/fjordctl parses JSON) and their unit tests link these.
TOOL_PKGS := jansson

# A fresh machine has none of the libraries: install them before the first
# pkg-config query. tools/install-deps is idempotent and quick when all is there.
ifeq ($(filter clean distclean,$(MAKECMDGOALS)),)
DEPS_OK := $(shell pkg-config --exists $(PKGS) $(TEST_PKGS) $(TOOL_PKGS) && test -f /usr/include/snappy-c.h \
	&& command -v kcat >/dev/null && command -v clang-format >/dev/null \
	&& command -v nft >/dev/null && command -v ip >/dev/null && echo yes)
ifneq ($(DEPS_OK),yes)
$(info make: dependencies missing, running tools/install-deps)
$(shell tools/install-deps >&2)
endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS)) $(SNAPPY_CFLAGS)
PKG_LIBS := $(shell pkg-config --libs $(PKGS)) $(SNAPPY_LIBS)
TEST_CFLAGS := $(shell pkg-config --cflags $(TEST_PKGS))
TEST_LIBS := $(shell pkg-config --libs $(TEST_PKGS))
TOOL_CFLAGS := $(shell pkg-config --cflags $(TOOL_PKGS))
TOOL_LIBS := $(shell pkg-config --libs $(TOOL_PKGS))

WARN := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -I. -Icommon $(PKG_CFLAGS)
LDLIBS := $(PKG_LIBS) -lm

B ?= build

COMMON_SRC := $(wildcard common/*.c common/kafka/*.c common/kafka/gen/*.c)
RAFT_SRC := $(wildcard worker/raft/*.c)
WORKER_SRC := $(filter-out worker/main.c,$(wildcard worker/*.c)) $(RAFT_SRC)
SUP_SRC := $(filter-out supervisor/main.c,$(wildcard supervisor/*.c))
UNIT_SRC := $(wildcard test/unit/test_*.c)
UNIT_HELPERS := $(filter-out $(UNIT_SRC),$(wildcard test/unit/*.c))
SIM_SRC := $(wildcard test/sim/*.c)
# Helpers shared by the unit tests and the simulation (the in-memory Raft store).
SUPPORT_SRC := $(wildcard test/support/*.c)
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

.PHONY: all deps test unit sim fuzz integration conformance run install clean lint lint-selftest format bench bench-peer bench-scale
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

# Test support objects live under $(B)/support-obj/ ($(B)/test/% are binaries).
LIB_TESTSUP := $(B)/libfjord_testsupport.a
$(B)/support-obj/%.o: test/support/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -MMD -MP -c $< -o $@
$(LIB_TESTSUP): $(patsubst test/support/%.c,$(B)/support-obj/%.o,$(SUPPORT_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/test/%: $(B)/test/unit/%.o $(call obj,$(UNIT_HELPERS)) $(LIB_TESTSUP) $(LIB_WORKER) $(LIB_SUP) $(LIB_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS) $(TOOL_LIBS)
# Simulation objects live under $(B)/sim-obj/: $(B)/test/sim is the binary.
SIM_OBJ := $(patsubst test/sim/%.c,$(B)/sim-obj/%.o,$(SIM_SRC))
$(B)/sim-obj/%.o: test/sim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -MMD -MP -c $< -o $@
# The partition schedules build record batches with the unit tests' builder.
$(B)/test/sim: $(SIM_OBJ) $(B)/test/unit/batch_builder.o $(LIB_TESTSUP) $(LIB_WORKER) $(LIB_COMMON)
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

# Kafka's own clients and tools (the Java client and CLI from Maven Central,
# franz-go, kafkajs) against a 3-node cluster. test/conformance/install
# fetches them with Maven, go and npm (cached in ~/.m2, the Go module cache
# and test/conformance/js/node_modules) and fails naming a missing toolchain.
conformance: all
	CONFORM_BUILD=$(abspath $(B))/conformance test/conformance/install
	CONFORM_BUILD=$(abspath $(B))/conformance FJORD_BIN="$${FJORD_BIN:-$(abspath $(BIN))}" \
		test/conformance/run

test: lint-selftest lint all unit sim fuzz integration conformance
	@echo "make test: all suites passed"

# The house rules as checks (tools/lint says which): include rules between the
# parts, no I/O, clock, randomness or printing in the Raft core, clang-format
# over hand-written code, and the committed codec equal to its generator's output.
lint:
	tools/lint
	tools/check-sup-graph supervisor

# Shows that each lint rule fails on a planted violation and passes a clean tree.
lint-selftest:
	test/lint/run
	test/lint/test-check-sup-graph

# Formats every hand-written C file (not the generated codec) in place.
format:
	clang-format -i --style=file $$(tools/lint --list-hand-written)

run: all
	@mkdir -p data
	$(BIN)/fjord-supervisor -c conf/fjord.ini

bench: all
	tools/bench-run

# fjord next to Apache Kafka (fetched with Maven); a benchmark, not a test.
bench-peer: all
	tools/bench-peer/run

# Idle cost of many replicas per node (default 334 partitions x 3 on 3 local
# nodes); PARTITIONS=, IDLE_S= and RECORDS_PER_PARTITION= make it smaller.
# Ports 32501-32703: run it in a network namespace of its own.
bench-scale: all
	tools/bench-scale

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/fjord
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 conf/fjord.ini $(DESTDIR)$(SYSCONFDIR)/fjord/fjord.ini

clean:
	rm -rf $(B) $(BIN) test/conformance/js/node_modules

-include $(shell find $(B) -name '*.d' 2>/dev/null)
.SECONDARY:
