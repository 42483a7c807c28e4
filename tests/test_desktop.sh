#!/bin/sh
# Desktop integration (share/): the desktop file and the AppStream metadata
# pass Debian's validators (desktop-file-validate, appstreamcli), the icons
# are well-formed SVG with a viewBox, the names that tie the files together
# agree (application ID, icon, launchable, binary, version), and the man page
# renders without a groff warning and documents every option and command
# that `lathe --help` prints, so that it cannot fall behind the command line.
# When the Makefile installs these files, `make install` and `make uninstall`
# into a scratch DESTDIR are checked too.
# Run from the repository root: LATHE=./lathe sh tests/test_desktop.sh
LATHE=${LATHE:-./lathe}
APP_ID=io.github.lathe.Lathe
DESKTOP=share/$APP_ID.desktop
METAINFO=share/$APP_ID.metainfo.xml
ICON=share/icons/hicolor/scalable/apps/$APP_ID.svg
SYMBOLIC=share/icons/hicolor/symbolic/apps/$APP_ID-symbolic.svg
MANPAGE=share/man/lathe.1

fail() {
	echo "test_desktop: FAIL: $*" >&2
	exit 1
}
need() { # need COMMAND DEBIAN-PACKAGE
	command -v "$1" >/dev/null 2>&1 ||
		fail "$1 is not installed (apt-get install $2, or make deps)"
}
need desktop-file-validate desktop-file-utils
need appstreamcli appstream
need xmllint libxml2-utils
need groff groff-base
[ -x "$LATHE" ] || fail "$LATHE is not an executable lathe (build it with make, or set LATHE)"
[ -f "$DESKTOP" ] || fail "run from the repository root ($DESKTOP not found)"
for f in "$METAINFO" "$ICON" "$SYMBOLIC" "$MANPAGE"; do
	[ -f "$f" ] || fail "$f is missing"
done

tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT INT TERM

# The value of KEY in the [Desktop Entry] group of the desktop file.
desktop_key() {
	sed -n '/^\[Desktop Entry\]/,/^\[/{s/^'"$1"'=//p}' "$DESKTOP"
}
# The string value of an XPath expression in the metainfo.
meta() {
	xmllint --xpath "string($1)" "$METAINFO" 2>/dev/null
}

# 1. The desktop file: no error, warning or hint from the validator.
desktop-file-validate "$DESKTOP" >"$tmp/dfv" 2>&1 ||
	fail "desktop-file-validate rejects $DESKTOP:
$(cat "$tmp/dfv")"
[ ! -s "$tmp/dfv" ] || fail "desktop-file-validate complains about $DESKTOP:
$(cat "$tmp/dfv")"
echo "test_desktop: desktop-file-validate $DESKTOP: ok"

# 2. The AppStream metadata: no error or warning (infos and pedantic hints,
# such as the upper-case letter that the reverse-DNS ID requires, are shown).
check_appstream() { # check_appstream WHAT ARGS...
	what=$1
	shift
	appstreamcli "$@" >"$tmp/asv" 2>&1
	status=$?
	sed 's/^/    /' "$tmp/asv"
	[ "$status" -eq 0 ] || fail "appstreamcli $* fails ($what)"
	! grep -Eq '^[[:space:]]*[EW]: ' "$tmp/asv" ||
		fail "appstreamcli $* reports errors or warnings ($what)"
}
check_appstream "$METAINFO" validate --no-net --pedantic "$METAINFO"
echo "test_desktop: appstreamcli validate $METAINFO: ok"

# 3. The icons: well-formed XML whose root is an <svg> with a viewBox.
for svg in "$ICON" "$SYMBOLIC"; do
	xmllint --noout "$svg" 2>"$tmp/xml" || fail "$svg is not well-formed XML:
$(cat "$tmp/xml")"
	root=$(xmllint --xpath 'local-name(/*)' "$svg" 2>/dev/null)
	[ "$root" = svg ] || fail "$svg: the root element is <$root>, not <svg>"
	viewbox=$(xmllint --xpath 'string(/*/@viewBox)' "$svg" 2>/dev/null)
	[ -n "$viewbox" ] || fail "$svg: the <svg> element has no viewBox"
	echo "test_desktop: $svg: well-formed, viewBox $viewbox"
done

# 4. The names agree. The desktop file is named after the application ID,
# which is the metainfo's id, the GTK application's ID (StartupWMClass) and
# the icon's name; the metainfo launches that desktop file and provides the
# binary the desktop file runs; the man page and the metainfo know the
# version that lathe --version prints.
[ "$(desktop_key Icon)" = "$APP_ID" ] ||
	fail "$DESKTOP: Icon=$(desktop_key Icon), but the icon is $ICON (Icon=$APP_ID)"
[ "$(desktop_key StartupWMClass)" = "$APP_ID" ] ||
	fail "$DESKTOP: StartupWMClass=$(desktop_key StartupWMClass), not the application ID $APP_ID"
exec_bin=$(desktop_key Exec | cut -d' ' -f1)
[ "$exec_bin" = lathe ] || fail "$DESKTOP: Exec runs '$exec_bin', not lathe"
[ "$(meta '/component/id')" = "$APP_ID" ] ||
	fail "$METAINFO: <id> is '$(meta '/component/id')', not $APP_ID"
[ "$(meta '/component/launchable[@type="desktop-id"]')" = "$(basename "$DESKTOP")" ] ||
	fail "$METAINFO: <launchable type=\"desktop-id\"> is '$(meta '/component/launchable')', not $(basename "$DESKTOP")"
[ "$(meta '/component/provides/binary')" = lathe ] ||
	fail "$METAINFO: <provides><binary> is '$(meta '/component/provides/binary')', not lathe"
version=$("$LATHE" --version | sed -n 's/^lathe //p')
[ -n "$version" ] || fail "$LATHE --version does not print 'lathe VERSION'"
[ "$(meta "count(/component/releases/release[@version='$version'])")" = 1 ] ||
	fail "$METAINFO has no <release version=\"$version\"> (lathe --version says $version)"
grep -q '^\.TH LATHE 1 [^ ]* "lathe '"$version"'"' "$MANPAGE" ||
	fail "$MANPAGE: the .TH line does not say \"lathe $version\" (lathe --version says $version)"
echo "test_desktop: application ID, icon, launchable, binary and version $version agree"

# 5. The man page: no warning from groff (-ww: all of them) nor, when
# installed, from mandoc's linter; man(1) renders it.
groff -man -Tutf8 -ww -z "$MANPAGE" >"$tmp/groff" 2>&1 ||
	fail "groff fails on $MANPAGE: $(cat "$tmp/groff")"
[ ! -s "$tmp/groff" ] || fail "groff warns about $MANPAGE:
$(cat "$tmp/groff")"
if command -v mandoc >/dev/null 2>&1; then
	mandoc -Tlint -W warning "$MANPAGE" >"$tmp/mandoc" 2>&1 ||
		fail "mandoc -Tlint warns about $MANPAGE:
$(cat "$tmp/mandoc")"
fi
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -P cat -l "$MANPAGE" >"$tmp/man.txt" 2>"$tmp/man.err" ||
		fail "man -l $MANPAGE fails: $(cat "$tmp/man.err")"
	grep -q '^NAME' "$tmp/man.txt" || fail "man -l $MANPAGE renders no NAME section"
fi
echo "test_desktop: $MANPAGE renders without warnings"

# 6. The man page documents every option and command of lathe --help. The
# page is rendered as plain text (options are written with \-, which never
# breaks a line), and each must appear as a whole word.
"$LATHE" --help >"$tmp/help" 2>&1 || fail "$LATHE --help fails"
groff -man -Tascii -P-cbou "$MANPAGE" >"$tmp/page" 2>/dev/null || fail "groff -Tascii fails"
options=$(grep -Eo -- '--[a-z][a-z-]*' "$tmp/help" | sort -u)
[ -n "$options" ] || fail "no option found in $LATHE --help"
# The commands: "lathe WORD" at the start of a line of the usage block (up
# to the first blank line).
commands=$(sed -n '/^[[:space:]]*$/q; s/^[[:space:]]*\(usage:\)\{0,1\}[[:space:]]*lathe \([a-z][a-z]*\).*/\2/p' \
	"$tmp/help" | sort -u)
[ -n "$commands" ] || fail "no command found in the usage lines of $LATHE --help"
missing=""
n=0
for opt in $options; do
	n=$((n + 1))
	grep -Eq -- "(^|[^a-z-])$opt([^a-z-]|\$)" "$tmp/page" || missing="$missing $opt"
done
for cmd in $commands; do
	n=$((n + 1))
	grep -Eq -- "lathe $cmd([^a-z-]|\$)" "$tmp/page" || missing="$missing 'lathe $cmd'"
done
[ -z "$missing" ] || fail "$MANPAGE does not document what $LATHE --help prints:$missing"
echo "test_desktop: $MANPAGE documents all $n options and commands of lathe --help"

# 7. make install and make uninstall, once the Makefile installs these files
# (the check starts when the Makefile names the metainfo). The
# binary is not rebuilt (-o lathe): the tests run on the one make built.
if grep -q 'metainfo' Makefile 2>/dev/null; then
	need make make
	root="$tmp/root"
	# A clean MAKEFLAGS and every directory named: the variables of a make
	# that runs this test (make check DATADIR=...) must not move the files.
	dirs="PREFIX=/usr BINDIR=/usr/bin DATADIR=/usr/share MANDIR=/usr/share/man"
	# shellcheck disable=SC2086 # $dirs is a list of words
	MAKEFLAGS='' MAKELEVEL='' make --no-print-directory -s -o lathe install DESTDIR="$root" $dirs \
		>"$tmp/install" 2>&1 || fail "make install DESTDIR=... PREFIX=/usr fails:
$(cat "$tmp/install")"
	installed="usr/share/applications/$APP_ID.desktop
usr/share/metainfo/$APP_ID.metainfo.xml
usr/share/icons/hicolor/scalable/apps/$APP_ID.svg
usr/share/icons/hicolor/symbolic/apps/$APP_ID-symbolic.svg
usr/share/man/man1/lathe.1"
	for f in $installed; do
		[ -f "$root/$f" ] || [ -f "$root/$f.gz" ] || fail "make install does not install /$f"
	done
	if ! desktop-file-validate "$root/usr/share/applications/$APP_ID.desktop" >"$tmp/dfv" 2>&1 ||
		[ -s "$tmp/dfv" ]; then
		fail "the installed desktop file does not validate:
$(cat "$tmp/dfv")"
	fi
	# The tree as software centres read it: metainfo, desktop file and icon.
	check_appstream "the installed tree" validate-tree --no-net "$root"
	# shellcheck disable=SC2086
	MAKEFLAGS='' MAKELEVEL='' make --no-print-directory -s uninstall DESTDIR="$root" $dirs \
		>"$tmp/install" 2>&1 ||
		fail "make uninstall fails: $(cat "$tmp/install")"
	for f in $installed; do
		if [ -e "$root/$f" ] || [ -e "$root/$f.gz" ]; then
			fail "make uninstall leaves /$f"
		fi
	done
	echo "test_desktop: make install and uninstall (DESTDIR, PREFIX=/usr): ok"
else
	echo "test_desktop: make install not checked: the Makefile does not install the desktop files yet"
fi

echo "test_desktop: ok"
