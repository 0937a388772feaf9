/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-mailid.c: Message-ID and address normalisation, table-driven. */
#include <string.h>
#include "caps.h"
#include "mailid.h"
#include "../tap.h"

static const struct {
  const char *input;
  const char *want;               /* "" when the token must be rejected */
} msgid_cases[] = {
  { "<abc@Example.ORG>", "abc@example.org" },
  { "  <ABC@example.org>  ", "ABC@example.org" },
  { "abc@example.org", "abc@example.org" },
  { "<a b@ex (comment) ample.org>", "ab@example.org" },
  { "<(nested (comment)) x@y>", "x@y" },
  { "<no-at-sign>", "" },
  { "<@example.org>", "" },
  { "<left@>", "" },
  { "<>", "" },
  { "<a\001b@c>", "" },
  { "<a@b@C.d>", "a@b@c.d" },
};

struct collected {
  char tokens[8][64];
  size_t count;
};

static void
collect(void *cookie, const char *token, size_t length)
{
  struct collected *collected = cookie;
  if (collected->count < 8 && length < 64) {
    memcpy(collected->tokens[collected->count], token, length);
    collected->tokens[collected->count][length] = '\0';
  }
  collected->count++;
}

static const struct {
  const char *input;
  const char *want;
} address_cases[] = {
  { "John Doe <John.Doe@Example.ORG>", "john.doe@example.org" },
  { "rfc822; user@example.net", "user@example.net" },
  { "rfc822;<user@example.net>", "user@example.net" },
  { "user@example.net (User Name)", "user@example.net" },
  { "\"Doe, John\" <jd@example.org>", "jd@example.org" },
  { "'quoted@example.org'", "quoted@example.org" },
  { "user@example.net.", "user@example.net" },
  { "no address here", "" },
  { "@", "" },
  { "<@example.org>", "" },
};

int
main(void)
{
  char out[CAP_ID_BYTES + 1];
  for (size_t i = 0; i < sizeof msgid_cases / sizeof msgid_cases[0]; i++) {
    size_t n = msgid_normalise(msgid_cases[i].input, strlen(msgid_cases[i].input),
                               out, sizeof out);
    TAP_STR(n ? out : "", msgid_cases[i].want, "msgid_normalise '%s'",
            msgid_cases[i].input);
    TAP_INT(n, strlen(msgid_cases[i].want), "msgid_normalise length '%s'",
            msgid_cases[i].input);
  }

  /* An ID one byte over the cap is refused, one at the cap is kept. */
  char long_id[CAP_ID_BYTES + 8];
  memset(long_id, 'a', sizeof long_id);
  long_id[CAP_ID_BYTES - 2] = '@';
  TAP_INT(msgid_normalise(long_id, CAP_ID_BYTES, out, sizeof out), CAP_ID_BYTES,
          "an ID of exactly CAP_ID_BYTES is kept");
  TAP_INT(msgid_normalise(long_id, CAP_ID_BYTES + 1, out, sizeof out), 0,
          "an ID over CAP_ID_BYTES is refused");

  struct collected collected = { 0 };
  int capped = 0;
  const char *references = "<a@x> <b@y>\n\t<c@z> junk <d@w";
  size_t seen = msgid_scan(references, strlen(references), 10, collect, &collected,
                           &capped);
  TAP_INT(seen, 3, "msgid_scan finds three closed tokens");
  TAP_STR(collected.tokens[2], "c@z", "msgid_scan third token across folding");
  TAP_INT(capped, 0, "msgid_scan not capped");

  memset(&collected, 0, sizeof collected);
  seen = msgid_scan(references, strlen(references), 2, collect, &collected, &capped);
  TAP_INT(seen, 2, "msgid_scan stops at max");
  TAP_INT(capped, 1, "msgid_scan reports the cap");

  memset(&collected, 0, sizeof collected);
  seen = msgid_scan(" bare@id.example ", 17, 4, collect, &collected, &capped);
  TAP_INT(seen, 1, "msgid_scan takes one bare x@y word");
  TAP_STR(collected.tokens[0], "bare@id.example", "bare token text");

  char address[CAP_ADDRESS_BYTES + 1];
  for (size_t i = 0; i < sizeof address_cases / sizeof address_cases[0]; i++) {
    size_t n = address_normalise(address_cases[i].input,
                                 strlen(address_cases[i].input), address,
                                 sizeof address);
    TAP_STR(n ? address : "", address_cases[i].want, "address_normalise '%s'",
            address_cases[i].input);
  }
  TAP_STR(address_domain("a@b.example"), "b.example", "address_domain");
  TAP_OK(address_domain("nodomain") == NULL, "address_domain without @");
  /* A message's own Message-ID field: bare IDs without '@' count there
   * (issue 13: "Message-ID: 20140913142357"), and nowhere else. */
  static const struct { const char *input; const char *want; } own_cases[] = {
    { "20140913142357", "20140913142357" },
    { " <20140913142357> ", "20140913142357" },
    { "<abc@Example.ORG>", "abc@example.org" },
    { "short1", "" },                       /* under 8 bytes */
    { "no-digits-here", "" },               /* a word, not an ID */
    { "two words 1234567", "" },
    { "a(b)c12345678", "" },
  };
  for (size_t i = 0; i < sizeof own_cases / sizeof own_cases[0]; i++) {
    char out[CAP_ID_BYTES + 1];
    struct collected collected = { .count = 0 };
    int capped;
    const char *value = own_cases[i].input;
    msgid_scan_own(value, strlen(value), CAP_IDS_PER_FIELD, collect, &collected, &capped);
    const char *got = "";
    if (collected.count == 1
        && msgid_normalise_own(collected.tokens[0], strlen(collected.tokens[0]), out,
                               sizeof out) > 0)
      got = out;
    TAP_STR(got, own_cases[i].want, "own Message-ID field '%s'", value);
  }
  {
    char out[CAP_ID_BYTES + 1];
    struct collected collected = { .count = 0 };
    int capped;
    msgid_scan("20140913142357", 14, CAP_IDS_PER_FIELD, collect, &collected, &capped);
    TAP_INT(collected.count, 0, "msgid_scan: a bare word without '@' is no ID");
    TAP_INT(msgid_normalise("20140913142357", 14, out, sizeof out), 0,
            "msgid_normalise: still needs its '@'");
    TAP_OK(msgid_is_bare("20140913142357") && !msgid_is_bare("a@b"), "msgid_is_bare");
  }
  return tap_done();
}
