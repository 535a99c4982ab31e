/*
 * A complete Framewire host program over a socket: connect to a Framewire peer (TCP
 * HOST:PORT or a Unix socket path), send each command-line argument as one message of
 * type 0x40, print every message the peer sends back, then end our direction and wait
 * for the peer's clean end. The library does the protocol; this file moves bytes and
 * time between it and the socket.
 *
 *   client ADDRESS MESSAGE...
 */
#define _POSIX_C_SOURCE 200809L

#include <framewire.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME 4096u
#define MAX_MESSAGE 65536u

/* The caller's buffers: sizes from the limits (framewire.h). */
static uint8_t rx[FW_RX_BUFFER_SIZE(MAX_FRAME, MAX_MESSAGE)];
static uint8_t tx[65536];

static uint32_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static int dial(const char *address)
{
    int fd;
    if (strchr(address, '/') != NULL) {
        struct sockaddr_un un;
        memset(&un, 0, sizeof un);
        un.sun_family = AF_UNIX;
        strncpy(un.sun_path, address, sizeof un.sun_path - 1u);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&un, sizeof un) != 0) {
            close(fd);
            fd = -1;
        }
    } else {
        char host[256];
        const char *colon = strrchr(address, ':');
        struct addrinfo hints;
        struct addrinfo *res;
        if (colon == NULL || (size_t)(colon - address) >= sizeof host) {
            return -1;
        }
        memcpy(host, address, (size_t)(colon - address));
        host[colon - address] = '\0';
        memset(&hints, 0, sizeof hints);
        hints.ai_socktype = SOCK_STREAM;
        if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
            return -1;
        }
        fd = socket(res->ai_family, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
        freeaddrinfo(res);
    }
    return fd;
}

/* Write everything the session has queued. */
static int flush(int fd, fw_session *s)
{
    size_t n;
    const uint8_t *p = fw_session_output(s, &n);
    while (n > 0u) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        fw_session_output_done(s, (size_t)w);
        p = fw_session_output(s, &n);
    }
    return 0;
}

int main(int argc, char **argv)
{
    fw_session_config cfg;
    fw_session s;
    fw_event ev;
    int fd;
    int next = 2;     /* the next argument to send */
    int expected = 0; /* echoes still to come */
    int status = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: %s ADDRESS MESSAGE...\n", argv[0]);
        return 2;
    }
    fd = dial(argv[1]);
    if (fd < 0) {
        perror("connect");
        return 1;
    }
    fw_session_config_default(&cfg);
    cfg.max_frame_size = MAX_FRAME;
    cfg.max_message_size = MAX_MESSAGE;
    cfg.checksum = true;
    if (fw_session_init(&s, &cfg, rx, sizeof rx, tx, sizeof tx, now_ms()) != FW_STATUS_OK) {
        fprintf(stderr, "bad configuration\n");
        return 1;
    }
    for (;;) {
        uint8_t in[4096];
        struct pollfd pfd;
        uint32_t wait;
        ssize_t got;
        size_t n;
        const uint8_t *p = in;

        /* once the peer's HELLO is in, send our messages; when all came back, end */
        while (fw_session_get_state(&s) == FW_SESSION_OPEN && next < argc &&
               fw_session_send(&s, 0x40, 0, (const uint8_t *)argv[next],
                               (uint32_t)strlen(argv[next])) == FW_STATUS_OK) {
            next++;
            expected++;
        }
        if (next == argc && expected == 0 && !fw_session_ended(&s) &&
            fw_session_get_state(&s) == FW_SESSION_OPEN) {
            fw_session_end(&s);
            if (flush(fd, &s) == 0) {
                shutdown(fd, SHUT_WR); /* FW-CLS-1: our direction is done */
            }
        }
        if (flush(fd, &s) != 0) {
            perror("send");
            break;
        }
        wait = fw_session_timeout(&s, now_ms());
        pfd.fd = fd;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, wait == FW_NO_DEADLINE ? -1 : (int)wait) == 0) {
            fw_session_tick(&s, now_ms(), &ev);
            if (ev.kind == FW_EVENT_FATAL) {
                fprintf(stderr, "failed: %s\n", fw_error_name(ev.code));
                (void)flush(fd, &s);
                break;
            }
            continue;
        }
        got = recv(fd, in, sizeof in, 0);
        if (got <= 0) {
            fw_session_end_of_input(&s, &ev);
            if (ev.kind == FW_EVENT_END && expected == 0) {
                status = 0; /* a clean end of both directions */
            } else {
                fprintf(stderr, "ended: %s\n", ev.kind == FW_EVENT_FATAL
                                                   ? fw_error_name(ev.code)
                                                   : "before every echo came back");
            }
            break;
        }
        n = (size_t)got;
        while (n > 0u) {
            size_t used = fw_session_feed(&s, p, n, now_ms(), &ev);
            p += used;
            n -= used;
            if (ev.kind == FW_EVENT_MESSAGE) {
                printf("message type 0x%02x: %.*s\n", (unsigned)ev.type, (int)ev.len,
                       (const char *)ev.data);
                expected--;
            } else if (ev.kind == FW_EVENT_PEER_ERROR) {
                fprintf(stderr, "the peer failed the connection: %u %.*s\n",
                        (unsigned)ev.code, (int)ev.len, (const char *)ev.data);
            } else if (ev.kind == FW_EVENT_FATAL) {
                fprintf(stderr, "failed: %s\n", fw_error_name(ev.code));
            } else if (ev.kind == FW_EVENT_NONE && used == 0u && flush(fd, &s) != 0) {
                n = 0; /* the transmit buffer was full and the socket broke */
            }
        }
        if (fw_session_get_state(&s) == FW_SESSION_FAILED) {
            (void)flush(fd, &s);
            break;
        }
    }
    close(fd);
    return status;
}
