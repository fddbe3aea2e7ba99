/*
 * udp_send: paced RFC 5424 syslog datagrams to a loopback UDP port, for logpipe load tests.
 *
 *   cc -O2 -Wall -o udp_send bench/udp_send.c
 *   udp_send HOST PORT RATE SECONDS [PAYLOAD_FILE]
 *
 * HOST must be 127.0.0.1 or localhost; anything else is refused. Sends RATE datagrams a second for SECONDS
 * (fractions allowed) in sendmmsg batches of about a millisecond each. It paces against CLOCK_MONOTONIC: it
 * nanosleeps through long gaps, spins through short ones, and catches up after stalls. Every message carries
 * "seq=N" (N from 0), so a receiver can count losses. When PAYLOAD_FILE is given, its lines are used in turn as
 * the message text after seq=N. Statistics go to stderr at the end or on SIGINT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 64
#define MAX_DATAGRAM 65507 /* largest UDP payload over IPv4 */
#define HEADER_ROOM 160    /* syslog header + structured data + "seq=N " */

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void) {
    fprintf(stderr, "usage: udp_send HOST PORT RATE SECONDS [PAYLOAD_FILE]\n"
                    "  HOST must be 127.0.0.1 or localhost; RATE datagrams/s (> 0); SECONDS may be fractional\n");
}

/* Reads the payload file into an array of lines (without newlines, truncated to fit a datagram). */
static char **load_lines(const char *path, size_t *count, size_t *longest) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "udp_send: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1024, n = 0, maxlen = 0;
    char **lines = malloc(cap * sizeof *lines);
    char *buf = NULL;
    size_t bufcap = 0;
    ssize_t len;
    while (lines && (len = getline(&buf, &bufcap, f)) >= 0) {
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = '\0';
        if (len == 0) continue;
        if ((size_t)len > MAX_DATAGRAM - HEADER_ROOM) {
            len = MAX_DATAGRAM - HEADER_ROOM;
            buf[len] = '\0';
        }
        if (n == cap) {
            cap *= 2;
            char **grown = realloc(lines, cap * sizeof *lines);
            if (!grown) break;
            lines = grown;
        }
        lines[n] = strdup(buf);
        if (!lines[n]) break;
        if ((size_t)len > maxlen) maxlen = (size_t)len;
        n++;
    }
    free(buf);
    fclose(f);
    if (!lines || n == 0) {
        fprintf(stderr, "udp_send: %s holds no usable lines\n", path);
        free(lines);
        return NULL;
    }
    *count = n;
    *longest = maxlen;
    return lines;
}

int main(int argc, char **argv) {
    if (argc < 5 || argc > 6) {
        usage();
        return 2;
    }
    const char *host = argv[1];
    struct sockaddr_in dst;
    memset(&dst, 0, sizeof dst);
    dst.sin_family = AF_INET;
    if (strcmp(host, "localhost") == 0) host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &dst.sin_addr) != 1 || dst.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) {
        fprintf(stderr, "udp_send: refusing host %s: only 127.0.0.1 (localhost) is allowed\n", argv[1]);
        return 2;
    }
    char *end;
    long port = strtol(argv[2], &end, 10);
    if (*end || port < 1 || port > 65535) {
        fprintf(stderr, "udp_send: bad port %s\n", argv[2]);
        return 2;
    }
    dst.sin_port = htons((uint16_t)port);
    double rate = strtod(argv[3], &end);
    if (*end || !(rate > 0) || rate > 1e8) {
        fprintf(stderr, "udp_send: bad rate %s\n", argv[3]);
        return 2;
    }
    double seconds = strtod(argv[4], &end);
    if (*end || !(seconds > 0) || seconds > 86400) {
        fprintf(stderr, "udp_send: bad duration %s\n", argv[4]);
        return 2;
    }

    size_t n_lines = 0, longest = 64;
    char **lines = NULL;
    if (argc == 6) {
        lines = load_lines(argv[5], &n_lines, &longest);
        if (!lines) return 1;
    }

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        perror("udp_send: socket");
        return 1;
    }
    int sndbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0) {
        perror("udp_send: connect");
        return 1;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* About 1 ms of datagrams per batch, at least 1, at most MAX_BATCH. */
    unsigned batch = (unsigned)(rate / 1000.0);
    if (batch < 1) batch = 1;
    if (batch > MAX_BATCH) batch = MAX_BATCH;

    size_t slot_size = longest + HEADER_ROOM;
    char *slots = malloc(slot_size * MAX_BATCH);
    struct mmsghdr msgs[MAX_BATCH];
    struct iovec iov[MAX_BATCH];
    if (!slots) {
        fprintf(stderr, "udp_send: out of memory\n");
        return 1;
    }
    memset(msgs, 0, sizeof msgs);

    char hostname[64] = "bench";
    gethostname(hostname, sizeof hostname - 1);
    hostname[sizeof hostname - 1] = '\0';
    for (char *p = hostname; *p; p++)
        if (*p == ' ') *p = '-';
    int pid = (int)getpid();

    static const char *const default_msgs[] = {
        "order placed for user u-1042 total EUR 42.10",
        "GET /api/v1/stock/SKU-10442 200 in 3.2ms",
        "payment authorized via stripe",
        "slow query on orders took 812.4ms",
        "connection refused: redis://cache-01:6379",
    };
    static const int default_sev[] = {6, 7, 6, 4, 3};

    const uint64_t total = (uint64_t)(rate * seconds + 0.5);
    uint64_t seq = 0, sent = 0, errors = 0, refused = 0;
    const double start = now_seconds();
    double elapsed = 0;

    while (sent < total && !stop_requested) {
        elapsed = now_seconds() - start;
        uint64_t due = (uint64_t)(elapsed * rate);
        if (due > total) due = total;
        if (due <= sent) {
            /* Wait until the next batch is due: sleep through most of a long gap, spin the rest. */
            uint64_t target = sent + batch;
            if (target > total) target = total;
            double wait = (double)target / rate - elapsed;
            if (wait > 200e-6) {
                double nap = wait - 100e-6;
                struct timespec ts = {(time_t)nap, (long)((nap - (double)(time_t)nap) * 1e9)};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        uint64_t want = due - sent;
        if (want > MAX_BATCH) want = MAX_BATCH;

        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        struct tm tm;
        gmtime_r(&wall.tv_sec, &tm);
        char stamp[96];
        snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, wall.tv_nsec / 1000000);

        for (unsigned i = 0; i < want; i++) {
            uint64_t s = seq + i;
            char *p = slots + (size_t)i * slot_size;
            const char *text;
            int sev;
            if (lines) {
                text = lines[s % n_lines];
                sev = 6;
            } else {
                text = default_msgs[s % 5];
                sev = default_sev[s % 5];
            }
            int len = snprintf(p, slot_size, "<%d>1 %s %s udp_send %d LOAD [meta seq=\"%llu\"] seq=%llu %s",
                               16 * 8 + sev, stamp, hostname, pid, (unsigned long long)s,
                               (unsigned long long)s, text);
            if (len < 0) len = 0;
            if ((size_t)len >= slot_size) len = (int)slot_size - 1;
            iov[i].iov_base = p;
            iov[i].iov_len = (size_t)len;
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }

        unsigned done = 0;
        while (done < want && !stop_requested) {
            int r = sendmmsg(fd, msgs + done, (unsigned)(want - done), 0);
            if (r > 0) {
                done += (unsigned)r;
            } else if (r < 0 && errno == ECONNREFUSED) {
                /* An earlier datagram hit a closed port (ICMP); this batch was not sent. Retry it. */
                refused++;
            } else if (r < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)) {
                errors++;
                struct timespec ts = {0, 50000};
                nanosleep(&ts, NULL);
            } else {
                perror("udp_send: sendmmsg");
                stop_requested = 1;
            }
        }
        seq += done;
        sent += done;
    }
    elapsed = now_seconds() - start;

    fprintf(stderr,
            "udp_send: sent %llu of %llu datagrams to 127.0.0.1:%ld in %.3f s, achieved %.0f/s (target %.0f/s)"
            ", batch %u, retried errors %llu, refused %llu\n",
            (unsigned long long)sent, (unsigned long long)total, port, elapsed, elapsed > 0 ? sent / elapsed : 0.0,
            rate, batch, (unsigned long long)errors, (unsigned long long)refused);
    close(fd);
    return sent == total ? 0 : 1;
}
