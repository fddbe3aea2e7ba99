#define _GNU_SOURCE
#include "CSocket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* Room for one SO_RXQ_OVFL message (a uint32) with headroom for others the kernel may add. */
#define CONTROL_SIZE 64

struct csocket_rx {
    unsigned count;
    size_t slot_size;
    uint8_t *data;
    struct mmsghdr *msgs;
    struct iovec *iovs;
    struct sockaddr_storage *peers;
    char *control;
};

csocket_rx *csocket_rx_create(unsigned count, size_t slot_size) {
    csocket_rx *rx = calloc(1, sizeof *rx);
    if (!rx) return NULL;
    rx->count = count;
    rx->slot_size = slot_size;
    rx->data = malloc(count * slot_size);
    rx->msgs = calloc(count, sizeof *rx->msgs);
    rx->iovs = calloc(count, sizeof *rx->iovs);
    rx->peers = calloc(count, sizeof *rx->peers);
    rx->control = calloc(count, CONTROL_SIZE);
    if (!rx->data || !rx->msgs || !rx->iovs || !rx->peers || !rx->control) {
        csocket_rx_destroy(rx);
        return NULL;
    }
    for (unsigned i = 0; i < count; i++) {
        rx->iovs[i].iov_base = rx->data + (size_t)i * slot_size;
        rx->iovs[i].iov_len = slot_size;
    }
    return rx;
}

void csocket_rx_destroy(csocket_rx *rx) {
    if (!rx) return;
    free(rx->data);
    free(rx->msgs);
    free(rx->iovs);
    free(rx->peers);
    free(rx->control);
    free(rx);
}

int csocket_rx_receive(csocket_rx *rx, int fd) {
    /* recvmmsg overwrites the name and control lengths: reset them before every call. */
    for (unsigned i = 0; i < rx->count; i++) {
        struct msghdr *h = &rx->msgs[i].msg_hdr;
        h->msg_name = &rx->peers[i];
        h->msg_namelen = sizeof rx->peers[i];
        h->msg_iov = &rx->iovs[i];
        h->msg_iovlen = 1;
        h->msg_control = rx->control + (size_t)i * CONTROL_SIZE;
        h->msg_controllen = CONTROL_SIZE;
        h->msg_flags = 0;
    }
    int n = recvmmsg(fd, rx->msgs, rx->count, MSG_DONTWAIT, NULL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return n;
}

const uint8_t *csocket_rx_datagram(const csocket_rx *rx, unsigned i, size_t *length, int *cut) {
    *length = rx->msgs[i].msg_len;
    *cut = (rx->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    return rx->data + (size_t)i * rx->slot_size;
}

const void *csocket_rx_peer(const csocket_rx *rx, unsigned i, unsigned *length) {
    *length = rx->msgs[i].msg_hdr.msg_namelen;
    return &rx->peers[i];
}

int64_t csocket_rx_drops(const csocket_rx *rx, unsigned i) {
    const struct msghdr *h = &rx->msgs[i].msg_hdr;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR((struct msghdr *)h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
            uint32_t drops;
            memcpy(&drops, CMSG_DATA(c), sizeof drops);
            return drops;
        }
    }
    return -1;
}

int csocket_set_thread_nice(int nice) {
    return setpriority(PRIO_PROCESS, (id_t)gettid(), nice);
}

int csocket_thread_nice(void) {
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, (id_t)gettid());
    return errno ? 0 : nice;
}
