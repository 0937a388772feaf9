# gen-signatures.awk: rules/signatures.txt -> C table (filter/signatures.c).
# Usage: awk -f gen-signatures.awk rules/signatures.txt > signatures.c
BEGIN {
  print "/* signatures.c: generated from rules/signatures.txt by"
  print " * scripts/gen-signatures.awk. Do not edit. */"
  print "#include <stddef.h>"
  print "#include \"signatures.h\""
  print ""
  print "const struct signature builtin_signatures[] = {"
  count = 0
}
/^[ \t]*(#|$)/ { next }
{
  place = $1; kind = $2; family = $3
  phrase = $0
  sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+/, "", phrase)
  sub(/[ \t]+$/, "", phrase)
  if (place !~ /^(subject|body|strong|from)$/ || kind !~ /^(ndr|autoreply|challenge|virus)$/ || phrase == "") {
    printf("%s:%d: bad signature line\n", FILENAME, FNR) > "/dev/stderr"
    failed = 1
    exit 1
  }
  gsub(/\\/, "\\\\", phrase); gsub(/"/, "\\\"", phrase)
  printf("  { PLACE_%s, KIND_%s, \"%s\", \"%s\" },\n", toupper(place), toupper(kind), family, phrase)
  count++
}
END {
  if (failed) exit 1
  print "};"
  printf("const size_t builtin_signature_count = %d;\n", count)
}
