/*
 * The echo peer of Framewire C for the conformance runner's live modes
 * (spec/conformance.md 10.5, FW-CNF-25, FW-CNF-26, FW-CNF-32): over TCP or a Unix
 * domain socket, listening or connecting, it sends back every data message it
 * receives. The session is the library's; this file only moves bytes and time.
 *
 *   fw_echo --listen ADDRESS | --connect ADDRESS [--framing length-prefixed|delimited]
 *           [--max-frame-size N] [--max-message-size N] [--checksum]
 *           [--handshake-ms N] [--frame-ms N]
 *
 * ADDRESS is HOST:PORT, [IPV6]:PORT, a path with a '/', or unix:PATH.
 */
#define _POSIX_C_SOURCE 200809L

#include "framewire.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Largest message the echo peer assembles when its own limit is 0 (no limit). */
#define ECHO_UNLIMITED_MESSAGE (16ul << 20)
#define LINGER_MS 1000u

typedef struct options {
    const char *listen_at;
    const char *connect_to;
    fw_session_config cfg;
} options;

static uint32_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static void usage(void)
{
    fprintf(stderr, "usage: fw_echo --listen ADDRESS | --connect ADDRESS [--framing F] "
                    "[--max-frame-size N] [--max-message-size N] [--checksum] "
                    "[--handshake-ms N] [--frame-ms N]\n");
    exit(2);
}

static uint32_t number(const char *text)
{
    char *end;
    unsigned long v = strtoul(text, &end, 10);
    if (*end != '\0' || v > 0xFFFFFFFFul) {
        usage();
    }
    return (uint32_t)v;
}

static void parse_options(int argc, char **argv, options *o)
{
    int i;

    memset(o, 0, sizeof *o);
    fw_session_config_default(&o->cfg);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--checksum") == 0) {
            o->cfg.checksum = true;
            continue;
        }
        if (v == NULL) {
            usage();
        }
        i++;
        if (strcmp(a, "--listen") == 0) {
            o->listen_at = v;
        } else if (strcmp(a, "--connect") == 0) {
            o->connect_to = v;
        } else if (strcmp(a, "--framing") == 0) {
            if (strcmp(v, "delimited") == 0) {
                o->cfg.framing = FW_DELIMITED;
            } else if (strcmp(v, "length-prefixed") == 0) {
                o->cfg.framing = FW_LENGTH_PREFIXED;
            } else {
                usage();
            }
        } else if (strcmp(a, "--max-frame-size") == 0) {
            o->cfg.max_frame_size = number(v);
        } else if (strcmp(a, "--max-message-size") == 0) {
            o->cfg.max_message_size = number(v);
        } else if (strcmp(a, "--handshake-ms") == 0) {
            o->cfg.handshake_ms = number(v);
        } else if (strcmp(a, "--frame-ms") == 0) {
            o->cfg.frame_ms = number(v);
        } else {
            usage();
        }
    }
    if ((o->listen_at == NULL) == (o->connect_to == NULL)) {
        usage();
    }
}

/* A socket address from ADDRESS (FW-CNF-32). */
typedef struct address {
    struct sockaddr_storage sa;
    socklen_t len;
    int family;
} address;

static int resolve(const char *text, address *out)
{
    memset(out, 0, sizeof *out);
    if (strncmp(text, "unix:", 5) == 0 || strchr(text, '/') != NULL) {
        struct sockaddr_un *un = (struct sockaddr_un *)&out->sa;
        const char *path = strncmp(text, "unix:", 5) == 0 ? text + 5 : text;
        if (strlen(path) >= sizeof un->sun_path) {
            return -1;
        }
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, path);
        out->len = (socklen_t)sizeof *un;
        out->family = AF_UNIX;
        return 0;
    }
    {
        char host[256];
        const char *colon = strrchr(text, ':');
        struct addrinfo hints;
        struct addrinfo *res;
        size_t hl;
        if (colon == NULL) {
            return -1;
        }
        hl = (size_t)(colon - text);
        if (hl >= sizeof host) {
            return -1;
        }
        memcpy(host, text, hl);
        host[hl] = '\0';
        if (host[0] == '[' && hl >= 2u && host[hl - 1u] == ']') {
            memmove(host, host + 1, hl - 2u);
            host[hl - 2u] = '\0';
        }
        memset(&hints, 0, sizeof hints);
        hints.ai_socktype = SOCK_STREAM;
        if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
            return -1;
        }
        memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
        out->len = res->ai_addrlen;
        out->family = res->ai_family;
        freeaddrinfo(res);
        return 0;
    }
}

/* Write everything the session queued; false when the connection broke (FW-SES-5). */
static bool flush(int fd, fw_session *s)
{
    size_t n;
    const uint8_t *p = fw_session_output(s, &n);

    while (n > 0u) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            fw_session_output_done(s, n);
            return false;
        }
        fw_session_output_done(s, (size_t)w);
        p = fw_session_output(s, &n);
    }
    return true;
}

/* FW-SES-3: half-close, discard what else arrives until end of input or the linger. */
static void linger_close(int fd)
{
    uint32_t start = now_ms();
    char junk[4096];

    shutdown(fd, SHUT_WR);
    for (;;) {
        struct pollfd pfd;
        uint32_t gone = now_ms() - start;
        if (gone >= LINGER_MS) {
            break;
        }
        pfd.fd = fd;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, (int)(LINGER_MS - gone)) <= 0) {
            break;
        }
        if (recv(fd, junk, sizeof junk, 0) <= 0) {
            break;
        }
    }
    close(fd);
}

/* Queue the echo of a message, flushing when the transmit buffer is full. */
static bool echo(int fd, fw_session *s, const fw_event *ev)
{
    for (;;) {
        size_t queued;
        fw_status st = fw_session_send(s, ev->type, ev->flags, ev->data, ev->len);
        if (st == FW_STATUS_OK) {
            return true;
        }
        (void)fw_session_output(s, &queued);
        if (st != FW_STATUS_NO_ROOM || queued == 0u) {
            fprintf(stderr, "fw_echo: cannot echo a message of %lu bytes (status %d)\n",
                    (unsigned long)ev->len, (int)st);
            fw_session_abort(s);
            return false;
        }
        if (!flush(fd, s)) {
            return false;
        }
    }
}

/* One connection, from the first byte to close. */
static void run_connection(int fd, const options *o, uint8_t *rx, uint32_t rx_cap,
                           uint8_t *tx, uint32_t tx_cap, uint32_t opened)
{
    fw_session s;
    fw_event ev;
    uint8_t in[65536];
    bool clean = false;

    /* the handshake deadline runs from the connection's start, a connect included */
    if (fw_session_init(&s, &o->cfg, rx, rx_cap, tx, tx_cap, opened) != FW_STATUS_OK) {
        fprintf(stderr, "fw_echo: the session refused its configuration\n");
        close(fd);
        return;
    }
    for (;;) {
        struct pollfd pfd;
        uint32_t wait;
        ssize_t got;
        const uint8_t *p = in;
        size_t n;
        if (!flush(fd, &s)) {
            close(fd); /* FW-SES-5: broken below Framewire */
            return;
        }
        if (fw_session_get_state(&s) == FW_SESSION_FAILED) {
            break;
        }
        wait = fw_session_timeout(&s, now_ms());
        pfd.fd = fd;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, wait == FW_NO_DEADLINE ? -1 : (int)wait) == 0) {
            fw_session_tick(&s, now_ms(), &ev);
            continue;
        }
        got = recv(fd, in, sizeof in, 0);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            close(fd);
            return;
        }
        if (got == 0) {
            fw_session_end_of_input(&s, &ev);
            clean = ev.kind == FW_EVENT_END;
            break;
        }
        n = (size_t)got;
        while (n > 0u) {
            size_t used = fw_session_feed(&s, p, n, now_ms(), &ev);
            p += used;
            n -= used;
            if (ev.kind == FW_EVENT_MESSAGE && !echo(fd, &s, &ev)) {
                break;
            }
            if (ev.kind == FW_EVENT_NONE && used == 0u && !flush(fd, &s)) {
                close(fd);
                return;
            }
        }
    }
    if (clean) {
        /* FW-CLS-3: the peer is done; our echoes are queued, and then our direction ends */
        fw_session_end(&s);
    }
    if (flush(fd, &s)) {
        linger_close(fd);
    } else {
        close(fd);
    }
}

static int open_socket(const address *a)
{
    int fd = socket(a->family, SOCK_STREAM, 0);
    if (fd >= 0 && a->family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    }
    return fd;
}

int main(int argc, char **argv)
{
    options o;
    address a;
    uint32_t message = 0;
    uint32_t rx_cap;
    uint32_t tx_cap;
    uint8_t *rx;
    uint8_t *tx;

    parse_options(argc, argv, &o);
    signal(SIGPIPE, SIG_IGN);
    if (resolve(o.listen_at != NULL ? o.listen_at : o.connect_to, &a) != 0) {
        fprintf(stderr, "fw_echo: bad address\n");
        return 2;
    }
    /* FW-CNF-25: it assembles whole messages to echo them, also with no message limit */
    message = o.cfg.max_message_size != 0u ? o.cfg.max_message_size : ECHO_UNLIMITED_MESSAGE;
    /* and a control frame in the middle of one: a small one, unless the limit is small */
    rx_cap = message + (o.cfg.max_frame_size < (1ul << 20) ? o.cfg.max_frame_size : (1ul << 20));
    /* room for the echo of the largest message, split at the smallest frame size */
    tx_cap = (uint32_t)fw_encode_bound(o.cfg.framing, message, FW_MIN_LIMIT) + 2u * FW_SESSION_TX_MIN;
    rx = malloc(rx_cap);
    tx = malloc(tx_cap);
    if (rx == NULL || tx == NULL) {
        fprintf(stderr, "fw_echo: out of memory\n");
        free(rx);
        free(tx);
        return 1;
    }
    if (o.connect_to != NULL) {
        /* FW-CNF-26: connect, run one connection, again, until a connection is refused */
        for (;;) {
            uint32_t opened = now_ms();
            int fd = open_socket(&a);
            if (fd < 0 || connect(fd, (struct sockaddr *)&a.sa, a.len) != 0) {
                if (fd >= 0) {
                    close(fd);
                }
                break;
            }
            run_connection(fd, &o, rx, rx_cap, tx, tx_cap, opened);
        }
    } else {
        int lfd = open_socket(&a);
        char where[300];
        if (a.family == AF_UNIX) {
            unlink(((struct sockaddr_un *)&a.sa)->sun_path);
        }
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&a.sa, a.len) != 0 || listen(lfd, 16) != 0) {
            perror("fw_echo: listen");
            free(rx);
            free(tx);
            return 1;
        }
        if (a.family == AF_UNIX) {
            snprintf(where, sizeof where, "%s", ((struct sockaddr_un *)&a.sa)->sun_path);
        } else {
            struct sockaddr_storage bound;
            socklen_t bl = sizeof bound;
            char host[256];
            char port[32];
            getsockname(lfd, (struct sockaddr *)&bound, &bl);
            getnameinfo((struct sockaddr *)&bound, bl, host, sizeof host, port, sizeof port,
                        NI_NUMERICHOST | NI_NUMERICSERV);
            snprintf(where, sizeof where, bound.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
                     host, port);
        }
        printf("listening %s\n", where);
        fflush(stdout);
        for (;;) {
            int fd = accept(lfd, NULL, NULL);
            if (fd < 0) {
                if (errno == EINTR) {
                    continue;
                }
                perror("fw_echo: accept");
                break;
            }
            if (a.family != AF_UNIX) {
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            }
            run_connection(fd, &o, rx, rx_cap, tx, tx_cap, now_ms());
        }
        close(lfd);
    }
    free(rx);
    free(tx);
    return 0;
}
