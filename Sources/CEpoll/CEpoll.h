// The Linux event-loop calls Swift's Glibc module does not export (epoll, eventfd, accept4)
// and the flag constants it cannot import (macros built from enums), as static inline
// wrappers. Nothing here allocates or keeps state; each wrapper returns what the system call
// returns (-1 with errno set on failure).
#ifndef TROUPE_CEPOLL_H
#define TROUPE_CEPOLL_H

// No _GNU_SOURCE here: it would change struct definitions shared with Swift's Glibc module
// (fd_set), and the two modules must agree. accept4 is declared below instead.
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

static const uint32_t cepoll_in = EPOLLIN;
static const uint32_t cepoll_out = EPOLLOUT;
static const uint32_t cepoll_err = EPOLLERR;
static const uint32_t cepoll_hup = EPOLLHUP;
static const uint32_t cepoll_rdhup = EPOLLRDHUP;
static const int cepoll_msg_nosignal = MSG_NOSIGNAL;

/// One event: the interest/readiness bits and the 64-bit token it was registered with.
typedef struct {
    uint32_t events;
    uint64_t token;
} cepoll_event_t;

static inline int cepoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

/// op: 0 add, 1 modify, 2 delete.
static inline int cepoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = token;
    int code = op == 0 ? EPOLL_CTL_ADD : (op == 1 ? EPOLL_CTL_MOD : EPOLL_CTL_DEL);
    return epoll_ctl(epfd, code, fd, &event);
}

/// Waits up to timeout_ms (-1: forever) for at most max_events (capped at 256) events.
static inline int cepoll_wait(int epfd, cepoll_event_t *out, int max_events, int timeout_ms) {
    struct epoll_event events[256];
    if (max_events > 256) max_events = 256;
    int count = epoll_wait(epfd, events, max_events, timeout_ms);
    for (int i = 0; i < count; i++) {
        out[i].events = events[i].events;
        out[i].token = events[i].data.u64;
    }
    return count;
}

static inline int cepoll_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

static inline int cepoll_eventfd_signal(int fd) {
    uint64_t one = 1;
    return (int)write(fd, &one, sizeof one);
}

static inline int cepoll_eventfd_drain(int fd) {
    uint64_t value = 0;
    return (int)read(fd, &value, sizeof value);
}

/// Accepts one connection, non-blocking and close-on-exec.
static inline int cepoll_accept(int fd) {
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

static inline int cepoll_socket_stream(int domain) {
    return socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

static inline void cepoll_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

static inline int cepoll_errno(void) { return errno; }

#endif
