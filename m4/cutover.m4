# cutover.m4: configure checks for cutover.

# CUTOVER_CHECK_OVS
# -----------------
# Finds the Open vSwitch source and build trees (--with-ovs-source,
# --with-ovs-build; the build tree defaults to the source tree), checks that
# they hold the pinned version and a built libopenvswitch, and sets:
#   OVS_SRCDIR, OVS_BUILDDIR, OVS_LIBDIR, OVS_CFLAGS, OVS_VERSION.
# Like OVN's OVN_CHECK_OVS.  Our config.h then includes the feature macros of
# the OVS build itself (ovs-config.h, made here from the build tree's
# config.h without its PACKAGE_* names), so OVS's headers see exactly the
# configuration libopenvswitch was compiled with.
AC_DEFUN([CUTOVER_CHECK_OVS], [
  m4_define([CUTOVER_OVS_VERSION], [3.1.0])
  AC_ARG_WITH([ovs-source],
    [AS_HELP_STRING([--with-ovs-source=DIR],
      [Open vSwitch ]CUTOVER_OVS_VERSION[ source tree (build-aux/prepare-ovs makes one)])],
    [OVS_SRCDIR=$withval], [OVS_SRCDIR=])
  AC_ARG_WITH([ovs-build],
    [AS_HELP_STRING([--with-ovs-build=DIR],
      [Open vSwitch build tree, if not the source tree])],
    [OVS_BUILDDIR=$withval], [OVS_BUILDDIR=])

  AC_MSG_CHECKING([for the Open vSwitch source tree])
  if test -z "$OVS_SRCDIR"; then
    AC_MSG_RESULT([none])
    AC_MSG_ERROR([--with-ovs-source=DIR is required: run build-aux/prepare-ovs (it needs the Debian package openvswitch-source) and pass the directory it prints])
  fi
  OVS_SRCDIR=`cd "$OVS_SRCDIR" 2>/dev/null && pwd`
  if test -z "$OVS_SRCDIR" || test ! -f "$OVS_SRCDIR/lib/ovsdb-idl.h"; then
    AC_MSG_ERROR([--with-ovs-source: no Open vSwitch source tree there (lib/ovsdb-idl.h missing)])
  fi
  AC_MSG_RESULT([$OVS_SRCDIR])

  AC_MSG_CHECKING([for the Open vSwitch build tree])
  test -z "$OVS_BUILDDIR" && OVS_BUILDDIR=$OVS_SRCDIR
  OVS_BUILDDIR=`cd "$OVS_BUILDDIR" 2>/dev/null && pwd`
  if test -z "$OVS_BUILDDIR" || test ! -f "$OVS_BUILDDIR/config.h"; then
    AC_MSG_ERROR([--with-ovs-build: no configured Open vSwitch build tree there (config.h missing)])
  fi
  if test ! -f "$OVS_BUILDDIR/lib/libopenvswitch.la"; then
    AC_MSG_ERROR([$OVS_BUILDDIR/lib/libopenvswitch.la is missing: build it first (build-aux/prepare-ovs does)])
  fi
  AC_MSG_RESULT([$OVS_BUILDDIR])

  AC_MSG_CHECKING([Open vSwitch version])
  OVS_VERSION=`sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$OVS_BUILDDIR/config.h"`
  AC_MSG_RESULT([$OVS_VERSION])
  if test "$OVS_VERSION" != "CUTOVER_OVS_VERSION"; then
    AC_MSG_ERROR([cutover is pinned to Open vSwitch ]CUTOVER_OVS_VERSION[, found '$OVS_VERSION' in $OVS_BUILDDIR])
  fi

  AC_MSG_CHECKING([whether the Open vSwitch build has SSL])
  if grep -q '^#define HAVE_OPENSSL 1' "$OVS_BUILDDIR/config.h"; then
    AC_MSG_RESULT([yes])
  else
    AC_MSG_RESULT([no])
    AC_MSG_ERROR([the Open vSwitch build in $OVS_BUILDDIR has no SSL: configure it with --enable-ssl (libssl-dev)])
  fi

  OVS_LIBDIR=$OVS_BUILDDIR/lib
  OVS_CFLAGS="-I$OVS_SRCDIR/include -I$OVS_BUILDDIR/include -I$OVS_SRCDIR/lib -I$OVS_BUILDDIR/lib -I$OVS_SRCDIR -I$OVS_BUILDDIR"
  if test ! -f "$OVS_SRCDIR/ovsdb/ovsdb-idlc.in"; then
    AC_MSG_ERROR([$OVS_SRCDIR/ovsdb/ovsdb-idlc.in is missing: cutover generates its database bindings with it])
  fi

  AC_CONFIG_COMMANDS([ovs-config.h],
    [sed -e '/^#define PACKAGE/d' -e '/^#define VERSION/d' \
         "$ovs_builddir/config.h" > ovs-config.h.tmp
     if cmp -s ovs-config.h.tmp ovs-config.h; then rm -f ovs-config.h.tmp
     else mv ovs-config.h.tmp ovs-config.h; fi],
    [ovs_builddir=$OVS_BUILDDIR])
  AH_BOTTOM([/* Open vSwitch's own configuration, for its headers. */
#include "ovs-config.h"])

  AC_SUBST([OVS_SRCDIR])
  AC_SUBST([OVS_BUILDDIR])
  AC_SUBST([OVS_LIBDIR])
  AC_SUBST([OVS_CFLAGS])
  AC_SUBST([OVS_VERSION])
])

# CUTOVER_CHECK_PKG(VARIABLE-PREFIX, MODULES, DEBIAN-PACKAGES)
# ------------------------------------------------------------
# pkg-config check whose failure names the Debian packages to install.
AC_DEFUN([CUTOVER_CHECK_PKG], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [AC_MSG_ERROR([$2 not found by pkg-config: install the Debian package(s) $3 (apt-get install -y $3)])])
])

# CUTOVER_ENABLE_WERROR
# ---------------------
# --enable-Werror turns warnings into errors (used by ./quickstart check).
AC_DEFUN([CUTOVER_ENABLE_WERROR], [
  AC_ARG_ENABLE([Werror],
    [AS_HELP_STRING([--enable-Werror], [treat compiler warnings as errors])],
    [], [enable_Werror=no])
  if test "$enable_Werror" = yes; then
    WERROR=-Werror
  else
    WERROR=
  fi
  AC_SUBST([WERROR])
])

# CUTOVER_ENABLE_FUZZ
# -------------------
# --enable-fuzz links the fuzz targets (tests/fuzz/) with libFuzzer instead
# of the plain driver tests/fuzz/fuzz-driver.c.  It needs clang (CC=clang):
# the whole build is then compiled with libFuzzer's coverage instrumentation
# and AddressSanitizer and UndefinedBehaviorSanitizer, so that libFuzzer is
# guided by the code under test, not only by the target, and sees what the
# sanitizers see.  Sets FUZZ_ENGINE (libfuzzer or driver) and the automake
# conditional ENABLE_FUZZ.
AC_DEFUN([CUTOVER_ENABLE_FUZZ], [
  AC_ARG_ENABLE([fuzz],
    [AS_HELP_STRING([--enable-fuzz],
      [build the fuzz targets with libFuzzer (needs CC=clang; instruments the whole build with ASan and UBSan)])],
    [], [enable_fuzz=no])
  FUZZ_ENGINE=driver
  FUZZ_CFLAGS=
  FUZZ_LDFLAGS=
  if test "$enable_fuzz" = yes; then
    AC_MSG_CHECKING([whether $CC links libFuzzer (-fsanitize=fuzzer)])
    save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS -fsanitize=fuzzer"
    AC_LINK_IFELSE(
      [AC_LANG_SOURCE([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return n && !d; }
]])],
      [AC_MSG_RESULT([yes])],
      [AC_MSG_RESULT([no])
       AC_MSG_ERROR([--enable-fuzz needs a compiler with libFuzzer: configure with CC=clang])])
    CFLAGS=$save_CFLAGS
    FUZZ_ENGINE=libfuzzer
    FUZZ_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer"
    FUZZ_LDFLAGS="-fsanitize=address,undefined"
    CFLAGS="$CFLAGS $FUZZ_CFLAGS"
    LDFLAGS="$LDFLAGS $FUZZ_LDFLAGS"
  fi
  AM_CONDITIONAL([ENABLE_FUZZ], [test "$enable_fuzz" = yes])
  AC_SUBST([FUZZ_ENGINE])
])
