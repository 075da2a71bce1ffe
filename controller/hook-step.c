/* cutover-hook's front: a one-shot step in about a millisecond.
 *
 * A VMM or a script that runs 'cutover-hook switchover --port vm1' while the
 * VM is paused should not pay for loading Open vSwitch's library and its
 * dozen shared libraries (10 ms on an idle machine, up to 190 ms on a
 * loaded one).  This program links nothing but the C library: for a
 * well-formed one-shot command (prepare, switchover, activate, complete,
 * abort, show) to a server at unix:FILE, tcp:IPv4:PORT or a socket's file
 * name, it sends the one JSON-RPC request itself and prints the answer
 * exactly as the full program does (hook.c: run_step(),
 * migration-client.c).
 *
 * Anything else (qmp, ssl: targets, --help, --version, log or SSL options,
 * and any command line it does not fully understand, bad ones included)
 * goes to the full program, cutover-hook-full, with the same arguments
 * (execv(), argv[0] kept): it gives the usage errors, the help and the
 * follower, so there is one account of each.  The full program is looked
 * for beside this one first (a build tree), then in PKGLIBEXECDIR. */

#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hook-answer.h"
#include "hook-exit.h"

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_SERVER "unix:/var/run/cutover/cutoverd.ctl"
#define MAX_ANSWER (1024 * 1024)
#define FULL_NAME "cutover-hook-full"

static const char *const commands[] = {
    "prepare", "switchover", "activate", "complete", "abort", "show",
};

struct step {
    const char *command;
    const char *server;
    long long int timeout_ms;
    const char *port;
    const char *to;
    long long int switchover_timeout_ms;
    const char *stopped;
};

static char **saved_argv;

/* Hands the whole command line to the full program.  Does not return. */
static void __attribute__((noreturn))
delegate(void)
{
    char self[PATH_MAX], full[PATH_MAX + sizeof FULL_NAME];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

    if (n > 0) {
        char *slash;

        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash) {
            slash[1] = '\0';
            snprintf(full, sizeof full, "%s%s", self, FULL_NAME);
            if (!access(full, X_OK)) {
                execv(full, saved_argv);
            }
        }
    }
    snprintf(full, sizeof full, "%s/%s", PKGLIBEXECDIR, FULL_NAME);
    execv(full, saved_argv);
    fprintf(stderr, "%s: cannot run %s: %s\n", saved_argv[0], full,
            strerror(errno));
    exit(HOOK_EXIT_USAGE);
}

/* A name the full program surely accepts (a conservative subset of
 * nb_check_name()'s: anything else is the full program's to judge). */
static bool
simple_name(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789_-");

    return n && n <= 32 && !s[n] && s[0] != '-';
}

/* A decimal number from 'min' to 'max', or -1. */
static long long int
simple_number(const char *s, long long int min, long long int max)
{
    size_t n = strspn(s, "0123456789");
    long long int v;

    if (!n || n > 9 || s[n]) {
        return -1;
    }
    v = atoll(s);
    return v >= min && v <= max ? v : -1;
}

static bool
simple_stopped(const char *s)
{
    size_t n = strspn(s, "0123456789");

    return (n && n <= 12 && s[n] == '.'
            && strspn(s + n + 1, "0123456789") == 6 && !s[n + 7]);
}

/* Parses what this program understands, or delegates. */
static void
parse(int argc, char *argv[], struct step *st)
{
    memset(st, 0, sizeof *st);
    st->timeout_ms = DEFAULT_TIMEOUT_MS;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL, *eq;
        char name[32];

        if (arg[0] != '-') {
            if (st->command) {
                delegate();
            }
            for (size_t k = 0; k < sizeof commands / sizeof *commands; k++) {
                if (!strcmp(arg, commands[k])) {
                    st->command = commands[k];
                }
            }
            if (!st->command) {
                delegate();
            }
            continue;
        }
        if (!strcmp(arg, "-s") || !strcmp(arg, "-t")) {
            snprintf(name, sizeof name, "%s", arg[1] == 's' ? "server"
                     : "timeout");
            if (++i >= argc) {
                delegate();
            }
            value = argv[i];
        } else if (arg[1] == '-' && (eq = strchr(arg, '='))
                   && (size_t) (eq - arg - 2) < sizeof name) {
            snprintf(name, sizeof name, "%.*s", (int) (eq - arg - 2),
                     arg + 2);
            value = eq + 1;
        } else if (arg[1] == '-' && strlen(arg + 2) < sizeof name
                   && i + 1 < argc) {
            snprintf(name, sizeof name, "%s", arg + 2);
            value = argv[++i];
        } else {
            delegate();
        }

        if (!strcmp(name, "server")) {
            st->server = value;
        } else if (!strcmp(name, "timeout")) {
            st->timeout_ms = simple_number(value, 1, 86400) * 1000;
        } else if (!strcmp(name, "port") && simple_name(value)) {
            st->port = value;
        } else if (!strcmp(name, "to") && simple_name(value)) {
            st->to = value;
        } else if (!strcmp(name, "switchover-timeout")) {
            st->switchover_timeout_ms = simple_number(value, 1, 60000);
        } else if (!strcmp(name, "stopped") && simple_stopped(value)) {
            st->stopped = value;
        } else {
            delegate();
        }
        if (st->timeout_ms < 0 || st->switchover_timeout_ms < 0) {
            delegate();
        }
    }

    /* The combinations the full program accepts. */
    bool prepare = st->command && !strcmp(st->command, "prepare");
    bool switchover = st->command && !strcmp(st->command, "switchover");
    bool show = st->command && !strcmp(st->command, "show");
    if (!st->command || (!st->port && !show) || prepare != !!st->to
        || (!switchover && (st->switchover_timeout_ms || st->stopped))) {
        delegate();
    }
    if (!st->server) {
        st->server = getenv("CUTOVER_SERVER");
        if (!st->server || !*st->server) {
            st->server = DEFAULT_SERVER;
        }
    }
}

/* "no answer within 1.5 s" and the like, as migration-client.c says it. */
static void
put_timeout(FILE *f, long long int ms)
{
    if (ms % 1000) {
        fprintf(f, "%.3g s", ms / 1000.0);
    } else {
        fprintf(f, "%lld s", ms / 1000);
    }
}

static long long int
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Waits until 'fd' is ready for 'events' or 'deadline' passes.  Returns 0
 * or ETIMEDOUT. */
static int
wait_fd(int fd, short events, long long int deadline)
{
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = events };
        long long int left = deadline - now_ms();
        int n;

        if (left <= 0) {
            return ETIMEDOUT;
        }
        n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int) left);
        if (n > 0) {
            return 0;
        } else if (n < 0 && errno != EINTR) {
            return errno;
        }
    }
}

/* Connects to 'server' (unix:FILE, tcp:IPv4:PORT or a file name) within
 * 'deadline'.  Returns the socket, or -1 with the error in '*errorp' (ETIMEDOUT
 * included); delegates what it cannot parse. */
static int
connect_server(const char *server, long long int deadline, int *errorp)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, error = 0;

    memset(&ss, 0, sizeof ss);
    if (!strncmp(server, "tcp:", 4)) {
        struct sockaddr_in *sin = (struct sockaddr_in *) &ss;
        const char *colon = strrchr(server + 4, ':');
        char ip[INET_ADDRSTRLEN];
        long long int port;

        if (!colon || (size_t) (colon - server - 4) >= sizeof ip) {
            delegate();
        }
        snprintf(ip, sizeof ip, "%.*s", (int) (colon - server - 4),
                 server + 4);
        port = simple_number(colon + 1, 1, 65535);
        if (port < 0 || inet_pton(AF_INET, ip, &sin->sin_addr) != 1) {
            delegate();
        }
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        len = sizeof *sin;
    } else {
        struct sockaddr_un *sun = (struct sockaddr_un *) &ss;
        const char *path = (!strncmp(server, "unix:", 5) ? server + 5
                            : strchr(server, ':') ? NULL : server);

        /* A relative name, or one too long for sun_path, is the full
         * program's (it has its ways). */
        if (!path || path[0] != '/' || strlen(path) >= sizeof sun->sun_path) {
            delegate();
        }
        sun->sun_family = AF_UNIX;
        strcpy(sun->sun_path, path);
        len = sizeof *sun;
    }

    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *errorp = errno;
        return -1;
    }
    if (connect(fd, (struct sockaddr *) &ss, len) < 0) {
        error = errno;
        if (error == EINPROGRESS || error == EAGAIN) {
            socklen_t elen = sizeof error;

            error = wait_fd(fd, POLLOUT, deadline);
            if (!error && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error,
                                     &elen) < 0) {
                error = errno;
            }
        }
    }
    if (error) {
        close(fd);
        *errorp = error;
        return -1;
    }
    return fd;
}

/* Appends 's' to 'buf' as a JSON string. */
static size_t
put_json_string(char *buf, size_t size, size_t n, const char *s)
{
    n += snprintf(buf + n, n < size ? size - n : 0, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            n += snprintf(buf + n, n < size ? size - n : 0, "\\%c", *s);
        } else if ((unsigned char) *s < 0x20) {
            n += snprintf(buf + n, n < size ? size - n : 0, "\\u%04x", *s);
        } else {
            n += snprintf(buf + n, n < size ? size - n : 0, "%c", *s);
        }
    }
    return n + snprintf(buf + n, n < size ? size - n : 0, "\"");
}

int
main(int argc, char *argv[])
{
    static char request[4096], answer[MAX_ANSWER + 1], text[MAX_ANSWER + 1];
    const char *params[4];
    char method[32], topt[32], sopt[64];
    size_t n_params = 0, n = 0, got = 0;
    long long int timeout_ms, deadline;
    const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1
                       : argv[0];
    const char *end = NULL;
    struct step st;
    int fd, error = 0;

    saved_argv = argv;
    parse(argc, argv, &st);
    signal(SIGPIPE, SIG_IGN);

    snprintf(method, sizeof method, "migration/%s", st.command);
    if (st.port) {
        params[n_params++] = st.port;
    }
    if (st.to) {
        params[n_params++] = st.to;
    }
    timeout_ms = st.timeout_ms;
    if (st.switchover_timeout_ms) {
        snprintf(topt, sizeof topt, "timeout=%lld", st.switchover_timeout_ms);
        params[n_params++] = topt;
        timeout_ms = st.switchover_timeout_ms + HOOK_SWITCHOVER_SLACK_MS;
    }
    if (st.stopped) {
        snprintf(sopt, sizeof sopt, "stopped=%s", st.stopped);
        params[n_params++] = sopt;
    }
    deadline = now_ms() + timeout_ms;

    n = snprintf(request, sizeof request, "{\"id\":0,\"method\":");
    n = put_json_string(request, sizeof request, n, method);
    n += snprintf(request + n, sizeof request - n, ",\"params\":[");
    for (size_t i = 0; i < n_params; i++) {
        n += snprintf(request + n, sizeof request - n, i ? "," : "");
        n = put_json_string(request, sizeof request, n, params[i]);
    }
    n += snprintf(request + n, sizeof request - n, "]}");

    /* The server as the full program names it (unix: for a file name). */
    char target[PATH_MAX + 8];
    snprintf(target, sizeof target, "%s%s", strchr(st.server, ':') ? ""
             : "unix:", st.server);

    fd = connect_server(st.server, deadline, &error);
    if (fd < 0) {
        fprintf(stderr, "%s: %s%s%s: %s: cannot connect: ", prog,
                st.command, st.port ? " " : "", st.port ? st.port : "",
                target);
        if (error == ETIMEDOUT) {
            fprintf(stderr, "no connection within ");
            put_timeout(stderr, timeout_ms);
            fprintf(stderr, "\n");
        } else {
            fprintf(stderr, "%s\n", strerror(error));
        }
        return HOOK_EXIT_UNREACHABLE;
    }

    for (size_t sent = 0; sent < n && !error; ) {
        ssize_t k = send(fd, request + sent, n - sent, MSG_NOSIGNAL);

        if (k > 0) {
            sent += k;
        } else if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
            error = wait_fd(fd, POLLOUT, deadline);
        } else {
            error = errno;
        }
    }
    while (!error && !end) {
        ssize_t k = recv(fd, answer + got, MAX_ANSWER - got, 0);

        if (k > 0) {
            got += k;
            answer[got] = '\0';
            end = hook_answer_end(answer, answer + got);
            if (!end && got >= MAX_ANSWER) {
                error = EPROTO;
            }
        } else if (!k) {
            error = EOF;
        } else if (errno == EAGAIN || errno == EINTR) {
            error = wait_fd(fd, POLLIN, deadline);
        } else {
            error = errno;
        }
    }
    close(fd);

    int status = HOOK_EXIT_UNREACHABLE;
    if (!error) {
        switch (hook_answer_parse(answer, end, text)) {
        case HOOK_ANSWER_RESULT:
            status = HOOK_EXIT_OK;
            break;
        case HOOK_ANSWER_ERROR:
            status = HOOK_EXIT_REFUSED;
            break;
        case HOOK_ANSWER_BAD:
            error = EPROTO;
            break;
        }
    }
    if (!error) {
        if (status == HOOK_EXIT_OK) {
            if (text[0]) {
                puts(text);
            }
        } else {
            fprintf(stderr, "%s: %s%s%s: %s\n", prog, st.command,
                    st.port ? " " : "", st.port ? st.port : "", text);
        }
        return status;
    }

    fprintf(stderr, "%s: %s%s%s: %s: ", prog, st.command,
            st.port ? " " : "", st.port ? st.port : "", target);
    if (error == ETIMEDOUT) {
        fprintf(stderr, "no answer to %s within ", method);
        put_timeout(stderr, timeout_ms);
        fprintf(stderr, "\n");
    } else if (error == EPROTO) {
        fprintf(stderr, "the server's answer to %s is not JSON-RPC\n",
                method);
    } else if (error == EOF) {
        fprintf(stderr, "the server closed the connection before "
                "answering %s\n", method);
    } else {
        fprintf(stderr, "connection lost before the answer to %s: %s\n",
                method, strerror(error));
    }
    return HOOK_EXIT_UNREACHABLE;
}
