/* posix_spawn with a pipe for output: no shell, so arguments need no quoting. */
#include "core/process.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int process_run(char *const argv[], buf_t *output)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        if (output) buf_appendf(output, "pipe: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
    /* a program run as another user may not be able to enter our working folder */
    posix_spawn_file_actions_addchdir_np(&actions, "/");
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        if (output) buf_appendf(output, "cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    char chunk[4096];
    for (;;) {
        ssize_t n = read(pipefd[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (output) buf_append(output, chunk, (size_t)n);
    }
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}
