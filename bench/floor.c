/* SPDX-License-Identifier: GPL-3.0-or-later */
/* floor.c: the floor for backscatter-filter's per-message cost: a C
 * program that only reads stdin to EOF and exits 0. Whatever a delivery
 * agent pays for this program, it pays for any filter; the benchmarks
 * report our cost as a ratio to it. Built with the same compiler and
 * flags as the filter, linked against libc only.
 */
#include <unistd.h>

int
main(void)
{
  static char buffer[65536];

  for (;;) {
    ssize_t got = read(STDIN_FILENO, buffer, sizeof buffer);
    if (got == 0)
      return 0;
    if (got < 0)
      return 1;
  }
}
