# mod_funcapp — build, install, test and run.
#
#   make            build mod_funcapp.so with apxs
#   make install    apxs -i, conf/funcapp.{load,conf} for a2enmod, and
#                   bin/funcapp-serve to $(PREFIX)/bin
#   make test       unit tests (cmocka, under ASan) and the Apache::Test suite
#   make run        funcapp-serve examples/app on http://127.0.0.1:8080/api/...
#
# `make test` and `make run` first install the Debian packages that are
# missing (as root), so both work on a fresh Debian 12 machine.

APXS          ?= apxs
PYTHON_CONFIG ?= /usr/bin/python3-config
PYTHON        ?= /usr/bin/python3
HTTPD         ?= /usr/sbin/apache2
PORT          ?= 8080
PREFIX        ?= /usr/local

PY_INCLUDES := $(shell $(PYTHON_CONFIG) --includes 2>/dev/null)
PY_LDFLAGS  := $(shell $(PYTHON_CONFIG) --embed --ldflags 2>/dev/null)
PY_PREFIX   := $(shell $(PYTHON_CONFIG) --prefix 2>/dev/null)
PY_VERSION  := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
APR_FLAGS   := $(shell apr-1-config --cflags --cppflags --includes 2>/dev/null) \
               $(shell apu-1-config --includes 2>/dev/null)
APR_LIBS    := $(shell apr-1-config --link-ld 2>/dev/null) \
               $(shell apu-1-config --link-ld 2>/dev/null)

WARN      = -Wall -Wextra -Werror
CORE_SRC  = src/fa_config.c src/fa_config_resolve.c src/fa_cors.c src/fa_cron.c src/fa_dispatch.c src/fa_dispatch_stream.c src/fa_dispatch_table.c src/fa_http.c src/fa_io.c \
            src/fa_keys.c src/fa_pyenv.c src/fa_timer.c \
            src/fa_dispatch_call.c src/fa_suspend.c \
            src/fa_log.c src/fa_route.c src/fa_route_parse.c src/fa_runq.c \
            src/fa_slot.c src/fa_doorbell.c src/fa_recycle.c src/fa_stats.c \
            src/fa_succession.c src/fa_funclist.c src/fa_reload.c \
            src/fa_reload_parent.c src/fa_reload_watch.c \
            src/fa_supervisor.c src/fa_wire.c src/fa_invocation.c \
            src/fa_watch.c src/fa_worker.c src/fa_worker_conn.c src/fa_worker_recycle.c \
            src/fa_body.c
PY_SRC    = src/fa_python.c src/fa_pyimport.c src/fa_pyinvoke.c \
            src/fa_pyloop.c src/fa_pystop.c src/fa_pystream.c src/fa_pywatch.c \
            src/fa_pybody.c \
            build/fa_pysrc.c
PY_FILES  = $(shell find python -name '*.py' | sort)
HEADERS   = $(wildcard include/*.h src/*.h)
# Unit tests link only what needs neither httpd nor Python (the supervisor
# is given the worker's entry point, so it is in).
UNIT_SRC  = src/fa_config.c src/fa_config_resolve.c src/fa_cors.c src/fa_cron.c src/fa_dispatch.c src/fa_dispatch_stream.c src/fa_dispatch_table.c src/fa_http.c src/fa_io.c \
            src/fa_keys.c src/fa_pyenv.c src/fa_timer.c \
            src/fa_log.c src/fa_route.c src/fa_route_parse.c src/fa_runq.c \
            src/fa_slot.c src/fa_doorbell.c src/fa_recycle.c src/fa_stats.c \
            src/fa_succession.c src/fa_reload.c src/fa_reload_parent.c \
            src/fa_reload_watch.c \
            src/fa_supervisor.c \
            src/fa_watch.c src/fa_wire.c src/fa_body.c
UNIT_TESTS = $(patsubst t/unit/%.c,build/unit/%,$(wildcard t/unit/test_*.c))

DEBIAN_PACKAGES = apache2 apache2-dev libcmocka-dev python3-dev \
                  libjansson-dev libapache2-mod-perl2 curl python3-flask \
                  python3-fastapi clang-format clang-tidy flake8 wrk \
                  chromium

.PHONY: all install deps unit test-unit test-style test-python test-httpd test-root test-fuzz fuzz test waves run clean

all: mod_funcapp.so

build/fa_pysrc.c: build/embed_python.py $(PY_FILES)
	$(PYTHON) build/embed_python.py python $@

GLUE_SRC  = mod_funcapp.c mod_funcapp_config.c mod_funcapp_handler.c mod_funcapp_body.c mod_funcapp_admin.c \
            mod_funcapp_stream.c mod_funcapp_cors.c mod_funcapp_status.c mod_funcapp_status_fmt.c \
            mod_funcapp_suspend.c

mod_funcapp.so: $(GLUE_SRC) mod_funcapp.h mod_funcapp_status.h $(CORE_SRC) $(PY_SRC) $(HEADERS)
	$(APXS) -c -o mod_funcapp.la \
	    -Wc,-Wall -Wc,-Wextra -Wc,-Werror -Wc,-Wno-missing-field-initializers \
	    -Wc,-DFA_PYTHON_PROGRAM='\"$(PY_PREFIX)/bin/python$(PY_VERSION)\"' \
	    -Iinclude $(PY_INCLUDES) \
	    $(GLUE_SRC) $(CORE_SRC) $(PY_SRC) -ljansson $(PY_LDFLAGS) \
	    > build/apxs.log 2>&1 || { cat build/apxs.log; exit 1; }
	cp .libs/mod_funcapp.so $@

# apxs -i ignores DESTDIR, so its LIBEXECDIR is given with the prefix.
install: mod_funcapp.so
	libexecdir=$$($(APXS) -q LIBEXECDIR) && \
	sysconfdir=$$($(APXS) -q SYSCONFDIR) && \
	install -d "$(DESTDIR)$$libexecdir" "$(DESTDIR)$$sysconfdir/mods-available" && \
	$(APXS) -i -S LIBEXECDIR="$(DESTDIR)$$libexecdir" -n funcapp mod_funcapp.la && \
	install -m 644 conf/funcapp.load conf/funcapp.conf \
	    "$(DESTDIR)$$sysconfdir/mods-available/" && \
	install -d "$(DESTDIR)$(PREFIX)/bin" && \
	sed -e "s|^MODULE = None$$|MODULE = '$$libexecdir/mod_funcapp.so'|" \
	    -e "s|^MODULES_DIR = .*|MODULES_DIR = '$$libexecdir'|" \
	    bin/funcapp-serve > build/funcapp-serve && \
	install -m 755 build/funcapp-serve "$(DESTDIR)$(PREFIX)/bin/funcapp-serve"

# Installs the Debian packages that are missing (root only).
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null \
	        | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" != 0 ]; then \
	        echo "missing Debian packages: $$missing (run as root: apt-get install $$missing)"; \
	        exit 1; fi; \
	    echo "installing: $$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -q $$missing; \
	fi

build/unit/%: t/unit/%.c t/unit/unit.h $(UNIT_SRC) $(HEADERS)
	@mkdir -p build/unit
	$(CC) -g -O1 $(WARN) -fsanitize=address,undefined -fno-omit-frame-pointer \
	    $(APR_FLAGS) -Iinclude $< $(UNIT_SRC) -o $@ -lcmocka -ljansson $(APR_LIBS)

test-unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "== $$t"; $$t || exit 1; done

# The wire decoder under libFuzzer (clang); `make test` runs it briefly when
# clang is there, FUZZ_SECONDS=600 make fuzz for longer.
FUZZ_SECONDS ?= 10
build/fuzz_wire: t/unit/fuzz_wire.c src/fa_wire.c include/fa_wire.h \
                 src/fa_body.c include/fa_body.h src/fa_io.c
	@mkdir -p build
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(APR_FLAGS) -Iinclude \
	    t/unit/fuzz_wire.c src/fa_wire.c src/fa_body.c src/fa_io.c -o $@ $(APR_LIBS)

fuzz: build/fuzz_wire
	@mkdir -p build/fuzz-corpus
	build/fuzz_wire -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    build/fuzz-corpus 2>&1 | grep -E 'stat::number_of_executed_units|Done|ERROR|SUMMARY'

test-fuzz:
	@if ! command -v clang >/dev/null; then echo "fuzz: skipped (no clang)"; \
	elif ! $(MAKE) -s build/fuzz_wire >/dev/null 2>&1; then \
	    echo "fuzz: skipped (clang without its libFuzzer runtime)"; \
	else $(MAKE) fuzz; fi

# t/python, with flake8 over the tree's Python (.flake8) among the tests.
test-python:
	$(PYTHON) -m unittest discover -s t/python

test-httpd: mod_funcapp.so
	bash t/run-suite $(HTTPD)

# What only root can check: privilege drop, socket ownership, stop.
test-root: mod_funcapp.so
	@for mpm in event worker prefork; do bash t/root-checks $(HTTPD) $$mpm || exit 1; done

# The C style (clang-format, braces, sizes, SPDX lines): t/style-check.
test-style: all
	$(PYTHON) t/style-check

test: deps
	$(MAKE) all
	$(MAKE) test-style
	$(MAKE) test-unit
	$(MAKE) test-fuzz
	$(MAKE) test-python
	$(MAKE) test-httpd
	$(MAKE) test-root

# Every row of the concurrency table on this machine (bench/table).
waves: all
	bash bench/table

run: deps
	$(MAKE) all
	bin/funcapp-serve examples/app --port $(PORT) --httpd $(HTTPD)

clean:
	rm -rf build/unit build/fa_pysrc.c build/funcapp-serve build/fuzz_wire build/fuzz-corpus .libs *.la *.lo *.slo *.o \
	    src/*.lo src/*.slo src/*.o src/.libs build/*.lo build/*.slo build/*.o build/.libs \
	    mod_funcapp.so

# mod_funcapp side by side with mod_wsgi, gunicorn, uvicorn and a bare C
# handler (bench/bench, writes bench/RESULTS.md); QUICK=1 for a smoke run.
.PHONY: bench
bench:
	$(PYTHON) bench/bench
