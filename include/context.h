/* SPDX-License-Identifier: GPL-3.0-or-later */
/* context.h: what the caller's environment tells us, gathered once by main.c
 * and passed down. No module calls getenv(): tests build their own context
 * and never touch $HOME, /etc or the real clock. */
#ifndef BSF_CONTEXT_H
#define BSF_CONTEXT_H

#include <time.h>

struct context {
  time_t now;                   /* the time every store entry and check uses */
  const char *home;             /* $HOME, or NULL */
  const char *xdg_config_home;  /* $XDG_CONFIG_HOME, or NULL */
  const char *xdg_state_home;   /* $XDG_STATE_HOME, or NULL */
  const char *system_config;    /* normally /etc/backscatter-filter/rules.ini */
  /* $TMPDIR, or NULL (then /tmp): where a message past CAP_MEMORY_BYTES
   * is spooled, as Mailutils' temporary files were. */
  const char *tmpdir;
  /* Envelope sender as the delivery agent gave it: SENDER (procmail, Exim,
   * Dovecot), or NULL when the caller set none. "" and "<>" and
   * "MAILER-DAEMON" (Postfix pipe) all mean the null sender. */
  const char *sender;
  /* The user's login as the delivery agent named it, for log lines only
   * (user=): $USER, else $LOGNAME (procmail, Dovecot, Exim's pipe, Postfix
   * local(8) and Mailutils mda set them), or NULL when neither is set or
   * both are empty (then main.c asks the password database for our uid's
   * name). Never used to decide anything: it is the caller's word. */
  const char *user;
};

#endif
