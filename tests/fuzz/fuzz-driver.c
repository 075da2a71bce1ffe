/* A plain driver for the fuzz targets, for builds without libFuzzer.
 *
 *     fuzz-TARGET [-n MUTATIONS] [-s SEED] [-m MAX_LEN] [-v] PATH...
 *
 * Runs LLVMFuzzerTestOneInput() on every file named on the command line and
 * every file of every directory named (the seed corpus, in name order),
 * then on MUTATIONS inputs made from them by deterministic pseudo-random
 * mutations (bit flips, interesting bytes, insertions, deletions, copies of
 * a chunk, splices of two inputs), each at most MAX_LEN bytes.  The same
 * corpus, SEED and MUTATIONS make the same inputs on every run, so a
 * failure seen once is seen again.
 *
 * This is no coverage-guided fuzzer: it is what 'make check' runs, a few
 * thousand inputs per target in a few seconds, and it finds what the
 * sanitizers see on inputs near the corpus.  libFuzzer (configure
 * --enable-fuzz with CC=clang) searches much further.
 *
 * When the process dies on an input (a signal, or a sanitizer's report),
 * the input is written to "crash-TARGET" in the current directory first,
 * to be run again alone: 'fuzz-TARGET -n 0 crash-TARGET'. */

#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzzer.h"

/* Optional hooks: libFuzzer's LLVMFuzzerInitialize() in a target, and the
 * sanitizers' death callback when the program is built with one. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
void __sanitizer_set_death_callback(void (*)(void)) __attribute__((weak));

/* One input of the corpus. */
struct input {
    char *name;
    uint8_t *data;
    size_t size;
};

static struct input *corpus;
static size_t n_corpus, allocated_corpus;

/* The input being run, for dump_current(). */
static bool running;
static const uint8_t *cur_data;
static size_t cur_size;
static char crash_file[PATH_MAX];

static void
usage(const char *program)
{
    fprintf(stderr, "usage: %s [-n MUTATIONS] [-s SEED] [-m MAX_LEN] [-v] "
            "PATH...\n"
            "Runs the fuzz target on every file of PATH (files, or "
            "directories of files),\n"
            "then on MUTATIONS (default 1000) deterministic mutations of "
            "them of at most\n"
            "MAX_LEN (default 4096) bytes, from SEED (default 1).\n",
            program);
}

static void *
xrealloc_or_die(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) {
        fprintf(stderr, "fuzz-driver: out of memory\n");
        exit(EXIT_FAILURE);
    }
    return p;
}

static void
add_input(const char *name, const uint8_t *data, size_t size)
{
    if (n_corpus >= allocated_corpus) {
        allocated_corpus = allocated_corpus ? 2 * allocated_corpus : 64;
        corpus = xrealloc_or_die(corpus, allocated_corpus * sizeof *corpus);
    }
    corpus[n_corpus].name = strdup(name);
    corpus[n_corpus].data = xrealloc_or_die(NULL, size);
    memcpy(corpus[n_corpus].data, data, size);
    corpus[n_corpus].size = size;
    n_corpus++;
}

static void
read_file(const char *name, size_t max_len)
{
    FILE *f = fopen(name, "rb");
    uint8_t *data = NULL;
    size_t size = 0, allocated = 0;

    if (!f) {
        fprintf(stderr, "fuzz-driver: %s: %s\n", name, strerror(errno));
        exit(EXIT_FAILURE);
    }
    for (;;) {
        if (size == allocated) {
            allocated = allocated ? 2 * allocated : 4096;
            data = xrealloc_or_die(data, allocated);
        }
        size_t n = fread(data + size, 1, allocated - size, f);
        if (!n) {
            break;
        }
        size += n;
    }
    if (ferror(f)) {
        fprintf(stderr, "fuzz-driver: %s: read error\n", name);
        exit(EXIT_FAILURE);
    }
    fclose(f);
    add_input(name, data, size < max_len ? size : max_len);
    free(data);
}

static int
compare_names(const void *a_, const void *b_)
{
    const char *const *a = a_;
    const char *const *b = b_;

    return strcmp(*a, *b);
}

/* Adds 'path', a file or a directory of files (in name order), to the
 * corpus. */
static void
read_path(const char *path, size_t max_len)
{
    struct stat st;

    if (stat(path, &st)) {
        fprintf(stderr, "fuzz-driver: %s: %s\n", path, strerror(errno));
        exit(EXIT_FAILURE);
    }
    if (!S_ISDIR(st.st_mode)) {
        read_file(path, max_len);
        return;
    }

    DIR *dir = opendir(path);
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;

    if (!dir) {
        fprintf(stderr, "fuzz-driver: %s: %s\n", path, strerror(errno));
        exit(EXIT_FAILURE);
    }
    while ((de = readdir(dir))) {
        if (de->d_name[0] == '.') {
            continue;
        }
        names = xrealloc_or_die(names, (n + 1) * sizeof *names);
        names[n] = xrealloc_or_die(NULL, strlen(path) + strlen(de->d_name)
                                   + 2);
        sprintf(names[n], "%s/%s", path, de->d_name);
        n++;
    }
    closedir(dir);
    if (n) {
        qsort(names, n, sizeof *names, compare_names);
    }
    for (size_t i = 0; i < n; i++) {
        read_file(names[i], max_len);
        free(names[i]);
    }
    free(names);
}

/* splitmix64: a small, fast generator whose sequence depends on the seed
 * alone. */
static uint64_t rng_state;

static uint64_t
rng_next(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* A number from 0 to 'n' - 1 ('n' > 0). */
static size_t
rng_below(size_t n)
{
    return rng_next() % n;
}

/* Bytes that parsers of text and JSON care about. */
static const uint8_t interesting[] = {
    0, 0xff, 0x7f, 0x80, '\n', '\r', '\t', ' ', '"', '\\', '{', '}', '[',
    ']', ':', ',', '/', '.', '-', '=', '0', '1', '9', 'a', 'f', 'x', 'e',
};

/* Applies one mutation to the 'size' bytes of 'buf' (room for 'max_len')
 * and returns the new size. */
static size_t
mutate_once(uint8_t *buf, size_t size, size_t max_len)
{
    const struct input *other = &corpus[rng_below(n_corpus)];

    switch (rng_below(8)) {
    case 0:                     /* Flip a bit. */
        if (size) {
            buf[rng_below(size)] ^= 1u << rng_below(8);
        }
        break;
    case 1:                     /* A random byte. */
        if (size) {
            buf[rng_below(size)] = rng_next();
        }
        break;
    case 2:                     /* An interesting byte. */
        if (size) {
            buf[rng_below(size)] = interesting[rng_below(sizeof
                                                         interesting)];
        }
        break;
    case 3: {                   /* Delete a range. */
        if (size) {
            size_t at = rng_below(size);
            size_t n = 1 + rng_below(size - at < 16 ? size - at : 16);

            memmove(buf + at, buf + at + n, size - at - n);
            size -= n;
        }
        break;
    }
    case 4: {                   /* Insert interesting or random bytes. */
        size_t n = 1 + rng_below(8);
        size_t at = rng_below(size + 1);

        if (size + n > max_len) {
            break;
        }
        memmove(buf + at + n, buf + at, size - at);
        for (size_t i = 0; i < n; i++) {
            buf[at + i] = (rng_below(2)
                           ? interesting[rng_below(sizeof interesting)]
                           : (uint8_t) rng_next());
        }
        size += n;
        break;
    }
    case 5: {                   /* Insert a chunk of another input. */
        if (!other->size) {
            break;
        }
        size_t from = rng_below(other->size);
        size_t n = 1 + rng_below(other->size - from);
        size_t at = rng_below(size + 1);

        if (size + n > max_len) {
            n = max_len - size;
        }
        memmove(buf + at + n, buf + at, size - at);
        memcpy(buf + at, other->data + from, n);
        size += n;
        break;
    }
    case 6: {                   /* Splice: our head, the other's tail. */
        size_t head = size ? rng_below(size + 1) : 0;
        size_t from = other->size ? rng_below(other->size + 1) : 0;
        size_t n = other->size - from;

        if (head + n > max_len) {
            n = max_len - head;
        }
        memcpy(buf + head, other->data + from, n);
        size = head + n;
        break;
    }
    case 7:                     /* Truncate. */
        if (size) {
            size = rng_below(size);
        }
        break;
    }
    return size;
}

/* Writes the input being run to 'crash_file', with async-signal-safe calls
 * only. */
static void
dump_current(void)
{
    int fd;

    if (!running) {
        return;
    }
    fd = open(crash_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        size_t done = 0;

        while (done < cur_size) {
            ssize_t n = write(fd, cur_data + done, cur_size - done);
            if (n <= 0) {
                break;
            }
            done += n;
        }
        close(fd);
        static const char msg[] = "fuzz-driver: the input is in ";
        if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0
            || write(STDERR_FILENO, crash_file, strlen(crash_file)) < 0
            || write(STDERR_FILENO, "\n", 1) < 0) {
            /* Nothing more can be done. */
        }
    }
}

static void
fatal_signal(int sig)
{
    dump_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Runs the target on a copy of 'data' in a buffer of exactly 'size' bytes,
 * so that a sanitizer sees any read beyond it. */
static void
run_one(const uint8_t *data, size_t size)
{
    uint8_t *copy = xrealloc_or_die(NULL, size);

    memcpy(copy, data, size);
    cur_data = copy;
    cur_size = size;
    running = true;
    LLVMFuzzerTestOneInput(copy, size);
    running = false;
    free(copy);
}

int
main(int argc, char *argv[])
{
    unsigned long long mutations = 1000, seed = 1;
    unsigned long max_len = 4096;
    const char *program = argv[0];
    const char *base;
    bool verbose = false;
    struct timespec start, end;
    int opt;

    while ((opt = getopt(argc, argv, "n:s:m:vh")) != -1) {
        char *end_;

        switch (opt) {
        case 'n':
            mutations = strtoull(optarg, &end_, 10);
            break;
        case 's':
            seed = strtoull(optarg, &end_, 10);
            break;
        case 'm':
            max_len = strtoul(optarg, &end_, 10);
            if (!max_len) {
                usage(program);
                return EXIT_FAILURE;
            }
            break;
        case 'v':
            verbose = true;
            continue;
        case 'h':
            usage(program);
            return EXIT_SUCCESS;
        default:
            usage(program);
            return EXIT_FAILURE;
        }
        if (*end_) {
            usage(program);
            return EXIT_FAILURE;
        }
    }
    if (optind >= argc) {
        usage(program);
        return EXIT_FAILURE;
    }

    base = strrchr(program, '/') ? strrchr(program, '/') + 1 : program;
    if (!strncmp(base, "lt-", 3)) {
        base += 3;
    }
    if (!strncmp(base, "fuzz-", 5)) {
        base += 5;
    }
    snprintf(crash_file, sizeof crash_file, "crash-%s", base);
    signal(SIGSEGV, fatal_signal);
    signal(SIGBUS, fatal_signal);
    signal(SIGFPE, fatal_signal);
    signal(SIGILL, fatal_signal);
    signal(SIGABRT, fatal_signal);
    if (__sanitizer_set_death_callback) {
        __sanitizer_set_death_callback(dump_current);
    }
    if (LLVMFuzzerInitialize) {
        LLVMFuzzerInitialize(&argc, &argv);
    }

    for (int i = optind; i < argc; i++) {
        read_path(argv[i], max_len);
    }
    if (!n_corpus) {
        add_input("(empty)", NULL, 0);
    }

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (size_t i = 0; i < n_corpus; i++) {
        if (verbose) {
            fprintf(stderr, "fuzz-driver: %s\n", corpus[i].name);
        }
        run_one(corpus[i].data, corpus[i].size);
    }

    uint8_t *buf = xrealloc_or_die(NULL, max_len);
    rng_state = seed;
    for (unsigned long long i = 0; i < mutations; i++) {
        const struct input *in = &corpus[rng_below(n_corpus)];
        size_t size = in->size;
        size_t n_ops = 1 + rng_below(4);

        memcpy(buf, in->data, size);
        for (size_t j = 0; j < n_ops; j++) {
            size = mutate_once(buf, size, max_len);
        }
        if (verbose) {
            fprintf(stderr, "fuzz-driver: mutation %llu of %s (%zu bytes)\n",
                    i, in->name, size);
        }
        run_one(buf, size);
    }
    free(buf);
    clock_gettime(CLOCK_MONOTONIC, &end);

    printf("%s: %zu corpus inputs and %llu mutations (seed %llu) in %.2f s\n",
           base, n_corpus, mutations, seed,
           (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
    for (size_t i = 0; i < n_corpus; i++) {
        free(corpus[i].name);
        free(corpus[i].data);
    }
    free(corpus);
    return EXIT_SUCCESS;
}
