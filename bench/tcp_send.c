// TCP syslog sender for bench/tcp_bench.sh: CONNS connections (one thread each) to 127.0.0.1:PORT, COUNT messages
// in all, RFC 5424 with octet counting (RFC 6587), "seq=N" in each message so the receiver's output can be
// checked for loss and duplicates. Writes in 64 KiB chunks as fast as the receiver reads (TCP back-pressure).
// Prints "sent N in S s (R/s)" on stderr.
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port;
static long per_conn;
static int conns;

static void *run(void *arg) {
    long id = (long)arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(0x7f000001);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); exit(1); }
    static __thread char buf[1 << 16];
    size_t used = 0;
    char msg[512];
    for (long i = 0; i < per_conn; i++) {
        long seq = id * per_conn + i;
        int n = snprintf(msg, sizeof msg,
                         "<134>1 2026-12-04T10:00:00.000Z bench-host shop 4242 ID47 - seq=%ld order placed for customer 8812, total 99.95 EUR, 3 items",
                         seq);
        char head[16];
        int h = snprintf(head, sizeof head, "%d ", n);
        if (used + h + n > sizeof buf) {
            for (size_t off = 0; off < used;) {
                ssize_t k = send(fd, buf + off, used - off, MSG_NOSIGNAL);
                if (k <= 0) { perror("send"); exit(1); }
                off += k;
            }
            used = 0;
        }
        memcpy(buf + used, head, h); used += h;
        memcpy(buf + used, msg, n); used += n;
    }
    for (size_t off = 0; off < used;) {
        ssize_t k = send(fd, buf + off, used - off, MSG_NOSIGNAL);
        if (k <= 0) { perror("send"); exit(1); }
        off += k;
    }
    close(fd);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: tcp_send PORT CONNS COUNT\n"); return 2; }
    port = atoi(argv[1]);
    conns = atoi(argv[2]);
    per_conn = atol(argv[3]) / conns;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t th[64];
    for (long i = 0; i < conns && i < 64; i++) pthread_create(&th[i], NULL, run, (void *)i);
    for (long i = 0; i < conns && i < 64; i++) pthread_join(th[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "sent %ld in %.3f s (%.0f/s)\n", per_conn * conns, s, per_conn * conns / s);
    return 0;
}
