# WANDA build. Plain GNU make + pkg-config.
#   make                 build into $(O) (default build/)
#   make O=build/asan SAN=1   sanitizer build (address,undefined)
#   make O=build/cov COV=1    coverage build (gcov)
#   make check           run every test (same as tests/run)
#   make install PREFIX=/usr/local DESTDIR=...
#   make ARCH=arm64       cross-build for a Raspberry Pi into build/arm64
#                         (contrib/install-deps --arm64 installs the toolchain)
#   make deb              Debian packages into build/deb (ARCH=arm64 too)
VERSION  := 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DATADIR  ?= $(PREFIX)/share
ARCH     ?= $(shell dpkg --print-architecture 2>/dev/null || echo native)
PKG_CONFIG ?= pkg-config
ONIG     := -lonig
# Cross build with Debian's toolchain against the arm64 multiarch -dev
# packages. libonig-dev is not Multi-Arch: same (it cannot sit next to the
# amd64 one), so only libonig5:arm64 is there: libjq.so.1 names it itself.
ifeq ($(ARCH),arm64)
ifneq ($(shell uname -m),aarch64)
CROSS    ?= aarch64-linux-gnu-
CC       := $(CROSS)gcc
AR       := $(CROSS)ar
PKG_CONFIG := PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig pkg-config
O        ?= build/arm64
ONIG     :=
endif
endif
O        ?= build

PKGS     := libcjson libcurl libarchive libmicrohttpd libqrencode libexif libcrypto
CC       ?= cc
# CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS are the user's (make CFLAGS=-O0 works):
# the project's own flags live in WANDA_* and come first, so the user's win.
ifeq ($(COV),1)
CFLAGS   ?= -O0 -g
endif
CFLAGS   ?= -O2 -g
WANDA_CFLAGS  := -std=c11 -Wall -Wextra -Werror -Wmissing-prototypes -D_DEFAULT_SOURCE -D_GNU_SOURCE \
                 -DWANDA_VERSION='"$(VERSION)"' -Ilib $(shell $(PKG_CONFIG) --cflags $(PKGS))
# Every program is linked against the same list, and --as-needed keeps only
# the libraries it calls: the linker knows better than a per-program list
# would. libcurl is not in it: lib/base/curl_lazy.c loads it on the first
# request (with its ~30 libraries it doubled the start-up of every program
# that can talk to the daemon, wanda-dag add included: bench/startup).
LINK_PKGS     := $(filter-out libcurl,$(PKGS))
WANDA_LDFLAGS := -Wl,--as-needed
WANDA_LDLIBS  := $(shell $(PKG_CONFIG) --libs $(LINK_PKGS)) -ljq $(ONIG) -ljpeg -lm -lpthread
ifeq ($(SAN),1)
WANDA_CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
WANDA_LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(COV),1)
WANDA_CFLAGS  += --coverage -fprofile-update=atomic
WANDA_LDFLAGS += --coverage
endif
ALL_CFLAGS  = $(WANDA_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(WANDA_LDFLAGS) $(LDFLAGS)
ALL_LDLIBS  = $(WANDA_LDLIBS) $(LDLIBS)

LIB_SRC  := $(wildcard lib/*/*.c)
CMD_SRC  := $(wildcard cmd/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(O)/%.o)
PROGS    := $(CMD_SRC:cmd/%.c=$(O)/bin/%)
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
TOOLS    := $(TOOL_SRC:tests/tools/%.c=$(O)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
REPLAYS  := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(O)/tests/replay_%)
MAN1     := $(wildcard man/*.1)
MAN5     := $(wildcard man/*.5)
MAN7     := $(wildcard man/*.7)

all: $(PROGS) $(UNITS) $(TOOLS) $(REPLAYS)
progs: $(PROGS)

$(O)/%.o: %.c $(wildcard lib/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# the gallery page and the OpenAPI document are embedded (.incbin) in this object
$(O)/lib/serve/assets.o: $(wildcard lib/serve/page/*)

$(O)/libwanda.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(O)/bin/%: $(O)/cmd/%.o $(O)/libwanda.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

$(O)/tests/%: $(O)/tests/unit/%.o $(O)/libwanda.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

$(O)/tests/%: $(O)/tests/tools/%.o $(O)/libwanda.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

check test:
	tests/run

install: $(PROGS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	  $(DESTDIR)$(DATADIR)/bash-completion/completions $(DESTDIR)$(DATADIR)/zsh/vendor-completions \
	  $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)/
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/)
	$(if $(MAN7),install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/)
	install -m 644 completions/bash/* $(DESTDIR)$(DATADIR)/bash-completion/completions/
	install -m 644 completions/zsh/* $(DESTDIR)$(DATADIR)/zsh/vendor-completions/
	install -m 644 completions/fish/* $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/bash-completion/completions/,$(notdir $(wildcard completions/bash/*)))
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/zsh/vendor-completions/,$(notdir $(wildcard completions/zsh/*)))
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/,$(notdir $(wildcard completions/fish/*)))

# Debian packages (contrib/debian, debhelper) into build/debian/:
# wanda_$(VERSION)_$(ARCH).deb; make deb ARCH=arm64 cross-builds the Pi's.
# -d: libonig-dev:arm64 cannot be installed next to the amd64 one (see
# contrib/install-deps), so the build dependencies are not checked.
DEB_SRC := build/debian/wanda-$(VERSION)
deb:
	@v=$$(dpkg-parsechangelog -l contrib/debian/changelog -SVersion); [ "$$v" = "$(VERSION)" ] || \
	  { echo "make deb: contrib/debian/changelog is at $$v, the Makefile at $(VERSION)" >&2; exit 65; }
	rm -rf $(DEB_SRC) && mkdir -p $(DEB_SRC)
	cp -R Makefile cmd lib man completions contrib $(DEB_SRC)/
	cp -R contrib/debian $(DEB_SRC)/debian
	cd $(DEB_SRC) && DEB_BUILD_OPTIONS="nocheck $$DEB_BUILD_OPTIONS" CC=$(CC) \
	  dpkg-buildpackage -b -us -uc -a$(ARCH) -d
	lintian --fail-on error,warning build/debian/wanda_$(VERSION)_$(ARCH).changes

clean:
	rm -rf build

.PHONY: all progs check test install uninstall deb clean
.SECONDARY:

# each libFuzzer target, linked with replay_main, replays its corpus
# (tests/fuzz/run) in the normal builds
$(O)/tests/replay_%: $(O)/tests/fuzz/fuzz_%.o $(O)/tests/fuzz/replay_main.o $(O)/libwanda.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)
