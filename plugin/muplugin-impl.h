/* SPDX-License-Identifier: GPL-3.0-or-later */
/* muplugin-impl.h: shared by the plugin's own sources (mailutils.c,
 * mailboxes.c), never by the program: the mailbox operations of
 * mailboxes.so, and how the one table is exported. */
#ifndef BSF_MUPLUGIN_IMPL_H
#define BSF_MUPLUGIN_IMPL_H

#include "muplugin.h"

/* The table is the plugin's one exported symbol (its sources are built
 * with -fvisibility=hidden). Its name is MUPLUGIN_SYMBOL's. */
#define MUPLUGIN_EXPORT __attribute__((visibility("default")))
extern MUPLUGIN_EXPORT const struct muplugin backscatter_filter_mailutils;

int muplugin_mailbox_open(const char *name, struct muplugin_mailbox_info *info,
                          struct muplugin_mailbox **box, struct failure *failure);
int muplugin_mailbox_header(struct muplugin_mailbox *box, size_t number,
                            char *buffer, size_t cap, size_t *length,
                            time_t *envelope_date);
void muplugin_mailbox_close(struct muplugin_mailbox **box);

#endif
