# tierbench — plain GNU make. `make` builds bin/tierbench; `make test` runs every test;
# `make asan` runs them under ASan+UBSan; `make CUDA=1` adds the CUDA backend (nvcc).
# Objects live in build/<config>/ with dependency files; quiet unless V=1.

CONFIG   ?= release
PREFIX   ?= /usr/local
DESTDIR  ?=
CUDA     ?= 0
CUDA_HOME ?= /usr/local/cuda
CUDA_ARCH ?= sm_80;sm_86;sm_89;sm_90
NVCC     ?= $(CUDA_HOME)/bin/nvcc
CC       ?= cc

PKGS     := libcurl libpcre2-8 libcjson hwloc sqlite3 zlib libmicrohttpd
BUILD    := build/$(CONFIG)
VERSION  := 0.1.0

ifeq ($(V),1)
Q :=
else
Q := @
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wformat=2
CFLAGS_release := -O2 -g
CFLAGS_asan    := -O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=undefined,float-cast-overflow
LDFLAGS_asan   := -fsanitize=address,undefined,float-cast-overflow
# Evaluated on first use (after check-deps may have installed the libraries), then cached.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null))$(PKG_LIBS)
CPPFLAGS := -I. -D_GNU_SOURCE -DTB_VERSION=\"$(VERSION)\"
CFLAGS    = -std=c11 $(WARN) $(CFLAGS_$(CONFIG)) $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS  := $(LDFLAGS_$(CONFIG)) $(EXTRA_LDFLAGS)
LDLIBS    = $(PKG_LIBS) -lpthread -lm $(CUDA_LIBS)

# CUDA: every backend's .cu files are found by wildcard, so adding one needs no Makefile edit.
CU_SRC   :=
ifeq ($(CUDA),1)
CU_SRC   := $(wildcard engine/cuda/*.cu)
CPPFLAGS += -DTB_CUDA=1 -I$(CUDA_HOME)/include
CUDA_LIBS := -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcudart -lstdc++
NVCC_GENCODE := $(foreach a,$(subst ;, ,$(CUDA_ARCH)),-gencode arch=compute_$(subst sm_,,$(a)),code=$(a))
NVCCFLAGS := -O2 -std=c++17 $(NVCC_GENCODE) -I. -DTB_CUDA=1 -Xcompiler -Wall,-Wextra,-Werror
BUILD    := build/$(CONFIG)-cuda
endif

# The library is every module folder; the command line (cli/) links on top of it.
LIB_SRC  := $(wildcard base/*.c harness/*.c providers/*.c suites/*.c reports/*.c engine/*.c serve/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(CU_SRC:%.cu=$(BUILD)/%.cu.o)
CLI_SRC  := $(wildcard cli/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/*/test_*.c)
TEST_BIN := $(TEST_SRC:%.c=$(BUILD)/%)
LIB      := $(BUILD)/libtierbench.a
MKBENCH  := $(BUILD)/tools/mkbench

# Every configuration links its own binary; a release build also copies it to bin/tierbench
# (whenever it differs, so switching between CUDA=1 and a plain build always updates bin/).
LINKED   := $(BUILD)/tierbench
ifeq ($(CONFIG),release)
BIN      := bin/tierbench
else
BIN      := $(LINKED)
endif

GIT_REV  := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)

.PHONY: all test asan bench demo clean install deps check-deps FORCE
all: check-deps $(BIN)

# Runs scripts/install-deps.sh only when a library or tool is missing.
check-deps:
	@pkg-config --exists $(PKGS) 2>/dev/null && command -v python3 >/dev/null || scripts/install-deps.sh

deps:
	scripts/install-deps.sh

# Build info is regenerated when it changes, so a new commit rebuilds one file only.
$(BUILD)/buildinfo.h: FORCE
	@mkdir -p $(@D)
	@printf '#define TB_GIT_REV "%s"\n#define TB_CC "%s"\n#define TB_CFLAGS "%s"\n#define TB_CONFIG "%s"\n' \
		'$(GIT_REV)' '$(shell $(CC) --version 2>/dev/null | head -n1 | tr -d '"\\')' \
		'$(strip $(CFLAGS_$(CONFIG)) $(EXTRA_CFLAGS))' '$(CONFIG)$(if $(filter 1,$(CUDA)), cuda [$(CUDA_ARCH)])' > $@.tmp
	@cmp -s $@.tmp $@ 2>/dev/null && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/harness/info.o: $(BUILD)/buildinfo.h
$(BUILD)/harness/info.o: CPPFLAGS += -I$(BUILD)

$(BUILD)/%.o: %.c | check-deps
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%.cu.o: %.cu | check-deps
	@mkdir -p $(@D)
	@$(if $(Q),echo "  NVCC    $<")
	$(Q)$(NVCC) $(NVCCFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(LINKED): $(CLI_OBJ) $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

ifneq ($(BIN),$(LINKED))
$(BIN): $(LINKED) FORCE
	@mkdir -p $(@D)
	@cmp -s $< $@ || { cp $< $@ && echo "  CP      $@"; }
endif

$(BUILD)/tests/%: tests/%.c $(LIB) tests/test.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  TEST    $<")
	$(Q)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# The NEON level (engine/quant_neon.c): in a release `make test`, where scripts/install-deps.sh
# could install the aarch64 cross compiler, the engine and its kernel and reference tests are
# cross-built here and run under qemu-user by tests/integration/test_neon.sh.
A64_CC   ?= aarch64-linux-gnu-gcc
A64      := build/aarch64
A64_SRC  := $(wildcard base/*.c engine/*.c) harness/sha256.c
A64_OBJ  := $(A64_SRC:%.c=$(A64)/%.o)
A64_TEST_BIN :=
ifeq ($(CONFIG)$(CUDA),release0)
A64_LIBS := $(wildcard $(addprefix /usr/lib/aarch64-linux-gnu/lib,hwloc.so pcre2-8.so cjson.so))
ifneq ($(and $(shell command -v $(A64_CC) 2>/dev/null),$(filter 3,$(words $(A64_LIBS)))),)
A64_TEST_BIN := $(addprefix $(A64)/tests/engine/,test_kernels test_quant test_model test_iq test_moe)
endif
endif

test: check-deps $(BIN) $(TEST_BIN) $(MKBENCH) $(A64_TEST_BIN)
	@TB_BIN=$(BIN) TB_BUILD=$(BUILD) TB_MKBENCH=$(MKBENCH) $(if $(A64_TEST_BIN),TB_A64=$(A64)) \
		tests/run-tests.sh $(TEST_BIN) $(wildcard tests/integration/test_*.sh)

$(A64)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC64    $<")
	$(Q)$(A64_CC) $(CPPFLAGS) -std=c11 $(WARN) -O2 -g -MMD -MP -c $< -o $@

$(A64)/libengine.a: $(A64_OBJ)
	$(Q)rm -f $@ && $(A64_CC:gcc=ar) rcs $@ $^

$(A64)/tests/%: tests/%.c $(A64)/libengine.a tests/test.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  TEST64  $<")
	$(Q)$(A64_CC) $(CPPFLAGS) -Itests -std=c11 $(WARN) -O2 -g -MMD -MP -o $@ $< $(A64)/libengine.a \
		-lcjson -lhwloc -lpcre2-8 -lpthread -lm

asan:
	@$(MAKE) --no-print-directory CONFIG=asan test

# `make bench`: harness throughput, then `tierbench bench` on TinyLlama-shaped models that
# tools/mkbench writes once into TB_BENCH_CACHE (see scripts/bench.sh).
$(MKBENCH): tools/mkbench.c $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# tools/sbbench times the Python sandbox on HumanEval's canonical solutions.
SBBENCH  := $(BUILD)/tools/sbbench
$(SBBENCH): tools/sbbench.c $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# tools/provbench streams requests through the provider layer against the loopback mock.
PROVBENCH := $(BUILD)/tools/provbench
$(PROVBENCH): tools/provbench.c tests/mock/mock.h $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

bench: check-deps $(BIN) $(MKBENCH) $(SBBENCH) $(PROVBENCH)
	@TB_BIN=$(BIN) TB_MKBENCH=$(MKBENCH) TB_SBBENCH=$(SBBENCH) TB_PROVBENCH=$(PROVBENCH) scripts/bench.sh

# `make demo`: the project's model quantized, measured and reported (scripts/demo.sh).
demo: check-deps $(BIN)
	@TB_BIN=$(BIN) scripts/demo.sh

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/tierbench/datasets $(DESTDIR)$(PREFIX)/share/doc/tierbench
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/tierbench
	cp -R datasets/. $(DESTDIR)$(PREFIX)/share/tierbench/datasets/
	install -m 644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/tierbench/

# `make fuzz`: libFuzzer + ASan/UBSan for FUZZ_SECONDS per harness. fuzz_gguf: the GGUF reader,
# seeded with files the harness writes and the metadata of the shared folder's models (TB_SHARED
# or ../shared). The others link the whole library built for fuzzing (build/fuzz/lib): the run-spec
# parser, the SSE/NDJSON readers with the vendor reply parsers, the answer extractors and the
# dataset / samples loaders, the serve request parser and response writers, seeded from examples/,
# datasets/ and tests/fuzz/<name>/ (kept inputs),
# and the model loader (fuzz_model: every architecture's keys and tensors, the experts' too),
# seeded with a tiny model of each architecture that fuzz_model_seeds writes.
FUZZ_SECONDS ?= 60
FUZZ_CC  ?= clang
FUZZ_DIR := build/fuzz
FUZZ_SRC := base/buf.c base/file.c engine/gguf.c engine/quant.c engine/quant_iq.c tests/fuzz/fuzz_gguf.c
FUZZ_SHARED ?= $(or $(TB_SHARED),$(firstword $(wildcard ../shared ../../shared)))
FUZZ_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined,float-cast-overflow
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_DIR)/lib/%.o)
FUZZ_MORE := spec stream answers loaders model serve imatrix
FUZZ_RUN  = $(FUZZ_DIR)/fuzz_$(1) -max_total_time=$(FUZZ_SECONDS) -max_len=$(2) -rss_limit_mb=2048 \
	-print_final_stats=1 $(FUZZ_DIR)/corpus_$(1) $(wildcard tests/fuzz/$(1)) $(3)

$(FUZZ_DIR)/lib/%.o: %.c | check-deps
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -std=c11 $(WARN) -Wno-unknown-warning-option $(FUZZ_FLAGS) \
		-fsanitize=fuzzer-no-link $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_DIR)/lib/harness/info.o: $(BUILD)/buildinfo.h
$(FUZZ_DIR)/lib/harness/info.o: CPPFLAGS += -I$(BUILD)
.SECONDARY: $(FUZZ_LIB_OBJ)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -std=c11 $(WARN) $(FUZZ_FLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) \
		$< $(FUZZ_LIB_OBJ) -o $@ $(PKG_LIBS) -lpthread -lm

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_MORE:%=$(FUZZ_DIR)/fuzz_%)

fuzz:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || scripts/install-deps.sh
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/seeds $(FUZZ_MORE:%=$(FUZZ_DIR)/corpus_%)
	@$(if $(Q),echo "  FUZZ    $(FUZZ_DIR)/fuzz_gguf")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -std=c11 $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined $(FUZZ_SRC) -o $(FUZZ_DIR)/fuzz_gguf -lm || \
		{ echo "make fuzz: needs clang with libFuzzer (scripts/install-deps.sh)" >&2; exit 1; }
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -std=c11 $(WARN) -O1 -g -DFUZZ_GGUF_SEEDS $(FUZZ_SRC) \
		-o $(FUZZ_DIR)/fuzz_gguf_seeds -lm
	$(Q)$(FUZZ_DIR)/fuzz_gguf_seeds $(FUZZ_DIR)/seeds \
		$(if $(FUZZ_SHARED),$(wildcard $(FUZZ_SHARED)/models/*.gguf $(FUZZ_SHARED)/models/*/*.gguf))
	$(Q)$(FUZZ_DIR)/fuzz_gguf -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 \
		-print_final_stats=1 $(FUZZ_DIR)/corpus $(FUZZ_DIR)/seeds
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)$(call FUZZ_RUN,spec,16384,examples)
	$(Q)$(call FUZZ_RUN,stream,16384,)
	$(Q)$(call FUZZ_RUN,answers,4096,)
	$(Q)$(call FUZZ_RUN,loaders,16384,)
	$(Q)$(call FUZZ_RUN,serve,16384,)
	$(Q)$(call FUZZ_RUN,imatrix,65536,tests/fixtures/imatrix)
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -std=c11 $(WARN) $(FUZZ_FLAGS) -DFUZZ_MODEL_SEEDS $(PKG_CFLAGS) \
		tests/fuzz/fuzz_model.c $(FUZZ_LIB_OBJ) -o $(FUZZ_DIR)/fuzz_model_seeds $(PKG_LIBS) -lpthread -lm
	$(Q)mkdir -p $(FUZZ_DIR)/corpus_model $(FUZZ_DIR)/seeds_model
	$(Q)$(FUZZ_DIR)/fuzz_model_seeds $(FUZZ_DIR)/seeds_model
	$(Q)$(call FUZZ_RUN,model,131072,$(FUZZ_DIR)/seeds_model)

clean:
	rm -rf build bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
-include $(shell find $(A64) -name '*.d' 2>/dev/null)
# the fuzz build's objects too (a header change must rebuild them: stale ones misread structs)
-include $(shell find $(FUZZ_DIR)/lib -name '*.d' 2>/dev/null)
