# SPDX-License-Identifier: GPL-3.0-or-later
# splice.awk: put the file named by -v section in place of the
# "## The Redis store" section of a BENCHMARKS.md (up to the next "## "
# heading), or before "## Import" when there is none yet. For
# `make bench-redis`.
function put(  line) {
  while ((getline line < section) > 0)
    print line
  print ""
  done = 1
}
/^## The Redis store/ { put(); skipping = 1; next }
skipping && /^## / { skipping = 0 }
skipping { next }
/^## Import/ && !done { put() }
{ print }
