/* SPDX-License-Identifier: GPL-3.0-or-later */
/* caps.h: every limit on what a stranger's message (or a rule file) can make us do.
 *
 * All untrusted lengths, counts and depths are capped here and nowhere else.
 * Hitting a cap never fails the delivery: the module truncates, sets the
 * matching CAP_HIT_* bit in its result, and the decision treats a notice with
 * any cap hit as "not proven backscatter" (Postfix style: truncate, flag, go on).
 */
#ifndef BSF_CAPS_H
#define BSF_CAPS_H

/* Bytes of a message that are parsed at all. Larger input is still read to
 * EOF and passed through (--tag), but judged without parsing. */
#define CAP_MESSAGE_BYTES        (128UL * 1024 * 1024)
/* Input held in memory before the copy spills to an unlinked temp file. */
#define CAP_MEMORY_BYTES         (1024UL * 1024)
/* Bytes of one header block (top level or an attached original) examined. */
#define CAP_HEADER_BLOCK_BYTES   (256UL * 1024)
/* Header fields of one block examined. */
#define CAP_HEADER_FIELDS        1000
/* Nesting of multiparts and encapsulated messages followed. */
#define CAP_MIME_DEPTH           16
/* MIME parts visited in one message, all depths together. */
#define CAP_MIME_PARTS           256
/* Decoded bytes of an attached original (message/rfc822, message/global)
 * examined; enough for its headers and a nested report. */
#define CAP_ORIGINAL_BYTES       (1024UL * 1024)
/* Decoded bytes of one text part scanned for phrases and quoted headers. */
#define CAP_TEXT_BYTES           (128UL * 1024)
/* Raw body bytes kept of a text message that is not MIME-walked (check
 * without --tag): enough for CAP_TEXT_BYTES decoded whatever the transfer
 * encoding (quoted-printable at worst 3 bytes a byte, plus soft breaks). */
#define CAP_TEXT_RAW_BYTES       (4 * CAP_TEXT_BYTES)
/* RFC 2231 sections (name*0, name*1, ...) joined into one parameter value;
 * a value in more sections is not used. */
#define CAP_PARAMETER_SECTIONS   32
/* Bytes of one line considered when scanning text line by line. */
#define CAP_LINE_BYTES           4096
/* Blank lines read before a header that a message starts with an empty
 * line ahead of (check.c: files saved or pasted by hand). */
#define CAP_LEADING_BLANK_BYTES  4096
/* Message-IDs taken from one header field (References can be long). */
#define CAP_IDS_PER_FIELD        32
/* Message-IDs collected from one notice, all sources together. */
#define CAP_REFERENCED_IDS       64
/* Longest Message-ID kept (RFC 5322 line limit). */
#define CAP_ID_BYTES             998
/* Longest address kept (RFC 5321 path limit). */
#define CAP_ADDRESS_BYTES        256
/* Bytes of a Date field's value read as a date-time (datetime.h); a
 * longer value is a date that cannot be read (RFC 5322's longest date
 * without comments is 31 bytes). */
#define CAP_DATE_BYTES           256
/* Failed recipients collected from one notice. */
#define CAP_RECIPIENTS           64
/* Received hosts collected from an attached original. */
#define CAP_RECEIVED_HOSTS       32
/* Longest Received host name kept (a DNS name is at most 253); a longer
 * word is no host name and is skipped. */
#define CAP_HOST_BYTES           255
/* Recipients recorded from one outgoing message. */
#define CAP_RECORD_RECIPIENTS    1000
/* Size of a rule file. */
#define CAP_RULE_FILE_BYTES      (256UL * 1024)
/* Site rules ([rule NAME] sections) in a rule file. */
#define CAP_SITE_RULES           256
/* Bytes of one line of a rule file, and so of a site rule's pattern (iniparser
 * 4.1 reads lines into 1024 bytes; ours is the smaller, named limit). */
#define CAP_RULE_LINE_BYTES      1000
/* A site rule's regex is checked at load, without compiling it, against what
 * makes glibc's regcomp/regexec take memory or time out of proportion to the
 * pattern's length (rules.c, regex_shape_check; measured figures there):
 *   the count of one repeat {n}, {n,}, {n,m}: POSIX's own minimum RE_DUP_MAX
 *   (_POSIX_RE_DUP_MAX), the largest any implementation must accept; glibc
 *   accepts 32767 and copies the repeated part that many times; */
#define CAP_REGEX_REPEAT         255
/*   the counts of repeats nested in one another, multiplied ((x{m}){n} is m*n
 *   copies of x); enough for ([a-z0-9-]{1,63}\.){1,8}, 504; */
#define CAP_REGEX_REPEAT_PRODUCT 1024
/*   groups open at once (glibc's parser recurses once per level); */
#define CAP_REGEX_DEPTH          32
/*   the pattern's elements once regcomp has copied out every repeat (each
 *   character, '.', bracket expression, escape, anchor, group, '|' and
 *   repeat, once per copy): glibc's compiled size and its epsilon closures
 *   grow with it (the closures as its square), and a + doubles what it
 *   repeats, so ((((a+)+)+)+)... grows as 2^depth. A pattern without
 *   repeats has at most one element a byte: none that fits on a line is
 *   over it; */
#define CAP_REGEX_ELEMENTS       1024
/*   anchors (^ $ \b \B \< \> \` \'), each copy a repeat makes counted:
 *   glibc copies what an anchor can reach without reading a character once
 *   per anchor and per combination of anchors on the way (2^anchors), so
 *   from two anchors on the elements count once per anchor (elements x
 *   anchors within CAP_REGEX_ELEMENTS: "^...$" may have 512); */
#define CAP_REGEX_ANCHORS        8
/*   the elements of all site rules' regexes of a file together (each stays
 *   compiled once used, and configtest compiles every one: 256 rules filling
 *   their lines with ".?" would keep about 512 MB, 16 of them 32 MB); a
 *   file of 256 rules of 64 elements each fits. */
#define CAP_REGEX_FILE_ELEMENTS  16384
/* Entries in one identity list (addresses, domains, relays). */
#define CAP_IDENTITY_ITEMS       256
/* Signatures in a site's own signatures file. */
#define CAP_SITE_SIGNATURES      512
/* Size of the store's journal (PATH.journal), where record puts entries
 * while the store is locked or unreachable: an append past it fails
 * (tempfail) rather than growing a file check must read. About 40,000
 * entries, weeks of one person's mail. */
#define CAP_JOURNAL_BYTES        (4UL * 1024 * 1024)
/* Evidence lines kept for --explain. */
#define CAP_EVIDENCE             32
/* check --deliver: the longest wait for a mailbox's locks (fcntl and
 * dotlock together) before giving up with a temporary failure (Exim's
 * appendfile gives up after about 30 s too). */
#define CAP_MAILBOX_LOCK_WAIT_MS 30000
/* A dotlock older than this is taken as left by a crashed writer and
 * removed (liblockfile's 5 minutes; our appends hold it for seconds). */
#define CAP_DOTLOCK_STALE_SECONDS 300
/* Names tried for one delivery's file (MH numbers taken by others in the
 * meantime, maildir and temporary name collisions). */
#define CAP_UNIQUE_NAME_TRIES    1000

/* Bits recording which cap was reached while reading one message. */
enum cap_hit {
  CAP_HIT_MESSAGE_BYTES  = 1u << 0,
  CAP_HIT_HEADER_BLOCK   = 1u << 1,
  CAP_HIT_HEADER_FIELDS  = 1u << 2,
  CAP_HIT_MIME_DEPTH     = 1u << 3,
  CAP_HIT_MIME_PARTS     = 1u << 4,
  CAP_HIT_ORIGINAL_BYTES = 1u << 5,
  CAP_HIT_TEXT_BYTES     = 1u << 6,
  CAP_HIT_IDS            = 1u << 7,
  CAP_HIT_ID_BYTES       = 1u << 8,
  CAP_HIT_RECIPIENTS     = 1u << 9,
  CAP_HIT_RECEIVED       = 1u << 10,
  CAP_HIT_LINE_BYTES     = 1u << 11,
};

/* Names of the set bits, comma separated, for logs ("mime-depth,ids"). */
const char *cap_hit_names(unsigned hits, char *buffer, unsigned size);

#endif
