/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sendmail.c: running the real sendmail for record --sendmail (fork, exec,
 * a pipe to its stdin), see sendmail.h. Its exit status is ours. */
#include <config.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sendmail.h"
#include "util.h"

static int
write_to_fd(void *cookie, const char *data, size_t length)
{
  return write_all(*(const int *) cookie, data, length);
}

int
sendmail_run(char *const argv[], struct input *input, int tempfail,
             struct failure *failure)
{
  struct failure copy_failure = { 0 };
  int pipe_fds[2];

  if (pipe(pipe_fds) < 0) {
    failure_set(failure, FAILURE_IO, "pipe: %s", strerror(errno));
    return tempfail;
  }
  pid_t child = fork();
  if (child < 0) {
    failure_set(failure, FAILURE_IO, "fork: %s", strerror(errno));
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return tempfail;
  }
  if (child == 0) {
    dup2(pipe_fds[0], STDIN_FILENO);
    /* Nothing of ours goes to sendmail but the message on stdin: not the
     * log file, not the spool's temporary file, not the store, whatever
     * a library left open without close-on-exec. */
    close_descriptors_from(STDERR_FILENO + 1);
    execv(argv[0], argv);
    fprintf(stderr, "backscatter-filter: cannot run %s: %s\n", argv[0],
            strerror(errno));
    _exit(tempfail);
  }
  close(pipe_fds[0]);
  int write_failed = input_copy_out(input, write_to_fd, &pipe_fds[1],
                                    &copy_failure) < 0;
  close(pipe_fds[1]);
  int child_status;
  while (waitpid(child, &child_status, 0) < 0)
    if (errno != EINTR)
      return tempfail;
  if (!WIFEXITED(child_status))
    return tempfail;
  if (write_failed && WEXITSTATUS(child_status) == 0)
    return tempfail;             /* it exited 0 without reading it all */
  return WEXITSTATUS(child_status);
}
