#!/usr/bin/env bash
# readme_example.sh PREFIX - compiles and runs README.md's first program
# against the smpheap installed in PREFIX, twice: through CMake
# (find_package(smpheap), smpheap::host) and through pkg-config alone.
#
# The program is the first ```c block after the "## A first program" heading.
# It checks itself with assert(), so NDEBUG is never defined here.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 INSTALL_PREFIX" >&2
	exit 2
fi
prefix=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readme=$here/../../README.md
cc=${CC:-cc}

work=$(mktemp -d "${TMPDIR:-/tmp}/smpheap-readme.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Runs a command quietly; on failure shows its output and stops.
quiet() {
	if ! "$@" >"$work/log" 2>&1; then
		cat "$work/log" >&2
		echo "readme_example: FAILED: $*" >&2
		exit 1
	fi
}

# The block: from the first ```c line after the heading to the next ``` line.
awk '
	/^## A first program[[:space:]]*$/ { section = 1; next }
	section && !code && /^```c[[:space:]]*$/ { code = 1; next }
	code && /^```/ { found = 1; exit }
	code { print }
	END { exit found ? 0 : 1 }
' "$readme" >"$work/example.c" || {
	echo "readme_example: no complete \`\`\`c block after \"## A first program\" in $readme" >&2
	exit 1
}
grep -q 'main' "$work/example.c" || {
	echo "readme_example: the README block has no main()" >&2
	exit 1
}

# 1. CMake: find_package(smpheap), link smpheap::host.
mkdir "$work/cmake"
cp "$work/example.c" "$work/cmake/example.c"
cat >"$work/cmake/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.25)
project(smpheap_readme_example LANGUAGES C)
find_package(smpheap 0.1 REQUIRED)
add_executable(example example.c)
set_target_properties(example PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
target_compile_options(example PRIVATE -Wall -Wextra -Werror -UNDEBUG)
target_link_libraries(example PRIVATE smpheap::host)
EOF
quiet cmake -S "$work/cmake" -B "$work/cmake/build" -DCMAKE_BUILD_TYPE=Debug \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc"
quiet cmake --build "$work/cmake/build" -j 1
quiet "$work/cmake/build/example"
echo "readme_example: README program builds (find_package) and runs"

# 2. pkg-config alone: cc $(pkg-config --cflags --libs smpheap).
pcdir=
for d in "$prefix"/lib*/pkgconfig "$prefix"/lib/*/pkgconfig; do
	if [ -f "$d/smpheap.pc" ]; then
		pcdir=$d
		break
	fi
done
if [ -z "$pcdir" ]; then
	echo "readme_example: no smpheap.pc under $prefix" >&2
	exit 1
fi
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs smpheap)
# shellcheck disable=SC2086 # pkg-config output is a list of flags
quiet "$cc" -std=c11 -Wall -Wextra -Werror -UNDEBUG "$work/example.c" -o "$work/example-pc" $flags
quiet "$work/example-pc"
echo "readme_example: README program builds (pkg-config) and runs"
