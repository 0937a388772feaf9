/* SPDX-License-Identifier: GPL-3.0-or-later */
/* probe.c: what the end-to-end tests cannot do from the shell.
 *
 *   probe nonblocking FILE COMMAND [ARG...]
 *       Runs COMMAND with its stdin the read end of a pipe in O_NONBLOCK
 *       mode (as a careless caller may leave it), and feeds FILE into the
 *       pipe slowly: half of it, a pause of 200 ms, then the rest in 8
 *       slices 50 ms apart, so that COMMAND's reads meet an empty pipe
 *       (EAGAIN) several times. Exits with COMMAND's status (128 + signal
 *       when killed).
 *   probe nonblocking-out FILE COMMAND [ARG...]
 *       Runs COMMAND with FILE as its stdin and its stdout the write end of
 *       a pipe in O_NONBLOCK mode, read slowly (64 KB, then a pause of
 *       50 ms, ...) so that COMMAND's writes meet a full pipe (EAGAIN);
 *       what it reads goes to probe's stdout. Exits with COMMAND's status.
 *   probe maxrss OUT COMMAND [ARG...]
 *       Runs COMMAND (stdin, stdout, stderr inherited) and writes its peak
 *       resident set size in KB (wait4's ru_maxrss) to the file OUT. Exits
 *       with COMMAND's status.
 *
 * Limits: Linux (ru_maxrss in KB); FILE is read whole into memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
pause_ms(long ms)
{
  struct timespec pause = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
    continue;
}

static int
exit_status_of(int status)
{
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int
write_all(int fd, const char *data, size_t length)
{
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    data += n;
    length -= (size_t) n;
  }
  return 0;
}

static char *
read_file(const char *path, size_t *length)
{
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    perror(path);
    exit(2);
  }
  char *data = malloc((size_t) st.st_size + 1);
  size_t used = 0;
  while (data && used < (size_t) st.st_size) {
    ssize_t n = read(fd, data + used, (size_t) st.st_size - used);
    if (n <= 0)
      break;
    used += (size_t) n;
  }
  close(fd);
  if (!data || used != (size_t) st.st_size) {
    fprintf(stderr, "probe: cannot read %s\n", path);
    exit(2);
  }
  *length = used;
  return data;
}

static int
run_nonblocking(const char *path, char **command)
{
  size_t length;
  char *data = read_file(path, &length);
  int fds[2];

  signal(SIGPIPE, SIG_IGN);
  if (pipe(fds) < 0 || fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK) < 0) {
    perror("probe: pipe");
    return 2;
  }
  pid_t child = fork();
  if (child < 0) {
    perror("probe: fork");
    return 2;
  }
  if (child == 0) {
    dup2(fds[0], STDIN_FILENO);
    close(fds[0]);
    close(fds[1]);
    execvp(command[0], command);
    perror(command[0]);
    _exit(127);
  }
  close(fds[0]);
  size_t half = length / 2, done = half;
  int failed = write_all(fds[1], data, half) < 0;
  pause_ms(200);
  for (int slice = 8; slice > 0 && !failed; slice--) {
    size_t size = (length - done) / (size_t) slice;
    failed = write_all(fds[1], data + done, size) < 0;
    done += size;
    pause_ms(50);
  }
  close(fds[1]);
  free(data);
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) {
      perror("probe: waitpid");
      return 2;
    }
  return exit_status_of(status);
}

static int
run_nonblocking_out(const char *path, char **command)
{
  int fds[2];
  if (pipe(fds) < 0 || fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK) < 0) {
    perror("probe: pipe");
    return 2;
  }
  pid_t child = fork();
  if (child < 0) {
    perror("probe: fork");
    return 2;
  }
  if (child == 0) {
    int in = open(path, O_RDONLY);
    if (in < 0) {
      perror(path);
      _exit(127);
    }
    dup2(in, STDIN_FILENO);
    dup2(fds[1], STDOUT_FILENO);
    close(in);
    close(fds[0]);
    close(fds[1]);
    execvp(command[0], command);
    perror(command[0]);
    _exit(127);
  }
  close(fds[1]);
  static char buffer[65536];
  for (;;) {
    pause_ms(50);
    ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0 || write_all(STDOUT_FILENO, buffer, (size_t) n) < 0)
      break;
  }
  close(fds[0]);
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) {
      perror("probe: waitpid");
      return 2;
    }
  return exit_status_of(status);
}

static int
run_maxrss(const char *out, char **command)
{
  pid_t child = fork();
  if (child < 0) {
    perror("probe: fork");
    return 2;
  }
  if (child == 0) {
    execvp(command[0], command);
    perror(command[0]);
    _exit(127);
  }
  int status;
  struct rusage usage;
  while (wait4(child, &status, 0, &usage) < 0)
    if (errno != EINTR) {
      perror("probe: wait4");
      return 2;
    }
  FILE *file = fopen(out, "w");
  if (!file || fprintf(file, "%ld\n", usage.ru_maxrss) < 0 || fclose(file) != 0) {
    perror(out);
    return 2;
  }
  return exit_status_of(status);
}

int
main(int argc, char **argv)
{
  if (argc >= 4 && strcmp(argv[1], "nonblocking") == 0)
    return run_nonblocking(argv[2], argv + 3);
  if (argc >= 4 && strcmp(argv[1], "nonblocking-out") == 0)
    return run_nonblocking_out(argv[2], argv + 3);
  if (argc >= 4 && strcmp(argv[1], "maxrss") == 0)
    return run_maxrss(argv[2], argv + 3);
  fprintf(stderr, "usage: probe nonblocking FILE COMMAND [ARG...]\n"
                  "       probe nonblocking-out FILE COMMAND [ARG...]\n"
                  "       probe maxrss OUT COMMAND [ARG...]\n");
  return 2;
}
