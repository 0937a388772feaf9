# SPDX-License-Identifier: GPL-3.0-or-later
# gen-signatures.awk: rules/signatures.txt -> C table (filter/signature-table.c).
# Usage: awk -f gen-signatures.awk rules/signatures.txt > filter/signature-table.c
# Also emits builtin_signature_anchors[]: for each phrase, the offset of a
# byte that is rare in mail text, where classify.c's search starts (only
# its speed depends on the choice; an awk that counts characters, not
# bytes, still gives an offset inside the phrase).
BEGIN {
  print "/* signature-table.c: generated from rules/signatures.txt by"
  print " * scripts/gen-signatures.awk. Do not edit. */"
  print "#include <stddef.h>"
  print "#include \"signatures.h\""
  print ""
  print "const struct signature builtin_signatures[] = {"
  count = 0
  rarest_first = "zqxjkvbpygfwmucldrhsnioate"
}
function commonness(c,    i) {
  i = index(rarest_first, tolower(c))
  if (i > 0) return 20 + i - 1
  if (c == " ") return 100
  if (c ~ /^[\001-\177]$/) return 15
  return 5
}
function anchor_of(text,    best, i) {
  best = 1
  for (i = 2; i <= length(text); i++)
    if (commonness(substr(text, i, 1)) < commonness(substr(text, best, 1)))
      best = i
  return best - 1
}
/^[ \t]*(#|$)/ { next }
{
  place = $1; kind = $2; family = $3
  phrase = $0
  sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+/, "", phrase)
  sub(/[ \t]+$/, "", phrase)
  if (place !~ /^(subject|body|strong|from)$/ || kind !~ /^(ndr|autoreply|challenge|virus|arf)$/ || phrase == "") {
    printf("%s:%d: bad signature line\n", FILENAME, FNR) > "/dev/stderr"
    failed = 1
    exit 1
  }
  anchors[count] = anchor_of(phrase)
  gsub(/\\/, "\\\\", phrase); gsub(/"/, "\\\"", phrase)
  printf("  { PLACE_%s, KIND_%s, \"%s\", \"%s\" },\n", toupper(place), toupper(kind), family, phrase)
  count++
}
END {
  if (failed) exit 1
  print "};"
  printf("const size_t builtin_signature_count = %d;\n", count)
  print ""
  print "const unsigned short builtin_signature_anchors[] = {"
  for (i = 0; i < count; i++)
    printf("  %d,\n", anchors[i])
  print "};"
}
