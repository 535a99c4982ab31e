/*
 * Throughput of the C library's decoder and encoder, beside a memcpy of the same bytes
 * and a bare CRC-32C pass over them, all measured in the same run (make c-bench).
 *
 * For each message size (16 B, 256 B, 4 KiB, 64 KiB), framing and checksum setting, a
 * stream of about 8 MiB of messages is encoded once, then decoded whole from memory;
 * each figure is the median of REPEATS runs, in GB/s of payload. The baselines move the
 * same number of bytes as the decoder reads (the encoded stream), memcpy message by
 * message into one buffer as the decoder does. The ratios the issue sets are printed at
 * the end, met or not.
 */
#define _POSIX_C_SOURCE 199309L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "framewire.h"

#define REPEATS 11
#define STREAM_BYTES (8u << 20)
#define MAX_SIZE 65536u

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *runs)
{
    qsort(runs, REPEATS, sizeof *runs, by_value);
    return runs[REPEATS / 2];
}

static volatile uint32_t sink; /* keeps the compiler from dropping the measured work */

struct stream {
    uint8_t *bytes;
    size_t len;
    size_t messages;
    size_t payload; /* bytes of payload in the stream */
};

static void encode_stream(struct stream *s, fw_framing framing, uint32_t size, bool crc,
                          const uint8_t *payload)
{
    size_t count = STREAM_BYTES / size, bound = fw_encode_bound(framing, size, MAX_SIZE), i;
    s->bytes = malloc(count * bound);
    s->len = 0;
    if (s->bytes == NULL) {
        abort();
    }
    for (i = 0; i < count; ++i) {
        s->len += fw_encode_message(s->bytes + s->len, bound, framing, 0x40, 0, payload, size,
                                    MAX_SIZE, crc);
    }
    s->messages = count;
    s->payload = count * size;
}

/* Seconds to decode the whole stream once; checks that every message came out. */
static double decode_once(const struct stream *s, fw_framing framing, uint8_t *rx, uint32_t cap)
{
    fw_decoder dec;
    fw_event ev;
    const uint8_t *p = s->bytes;
    size_t n = s->len, seen = 0;
    double start = now_seconds();
    fw_decoder_init(&dec, framing, MAX_SIZE, MAX_SIZE, 0u, rx, cap);
    while (n > 0u) {
        size_t used = fw_decoder_feed(&dec, p, n, &ev);
        p += used;
        n -= used;
        if (ev.kind == FW_EVENT_MESSAGE) {
            seen++;
            sink += ev.len;
        } else if (ev.kind != FW_EVENT_NONE) {
            fprintf(stderr, "bench: unexpected event %u (code %u)\n", ev.kind, ev.code);
            exit(1);
        }
    }
    if (seen != s->messages) {
        fprintf(stderr, "bench: %zu of %zu messages decoded\n", seen, s->messages);
        exit(1);
    }
    return now_seconds() - start;
}

static double encode_once(const struct stream *s, fw_framing framing, uint32_t size, bool crc,
                          const uint8_t *payload, uint8_t *out)
{
    size_t bound = fw_encode_bound(framing, size, MAX_SIZE), i, at = 0;
    double start = now_seconds();
    for (i = 0; i < s->messages; ++i) {
        at += fw_encode_message(out + at, bound, framing, 0x40, 0, payload, size, MAX_SIZE, crc);
    }
    sink += (uint32_t)at;
    return now_seconds() - start;
}

/* The decoder copies each message into the same receive buffer, which stays in cache:
 * the baseline copies each message's share of the stream into one buffer too. */
static double memcpy_once(const struct stream *s, uint8_t *out)
{
    size_t each = s->len / s->messages, i;
    double start = now_seconds();
    for (i = 0; i < s->messages; ++i) {
        memcpy(out, s->bytes + i * each, each);
        sink += out[each / 2];
    }
    return now_seconds() - start;
}

static double crc_once(const struct stream *s)
{
    double start = now_seconds();
    sink += fw_crc32c_update(0, s->bytes, s->len);
    return now_seconds() - start;
}

struct figures {
    double decode, encode, copy, crc; /* median seconds */
};

static struct figures measure(fw_framing framing, uint32_t size, bool crc, const uint8_t *payload,
                              uint8_t *rx, uint32_t cap, uint8_t *out, size_t *payload_bytes)
{
    struct stream s;
    double runs[4][REPEATS];
    struct figures f;
    int r;
    encode_stream(&s, framing, size, crc, payload);
    for (r = 0; r < REPEATS; ++r) {
        runs[0][r] = decode_once(&s, framing, rx, cap);
        runs[1][r] = encode_once(&s, framing, size, crc, payload, out);
        runs[2][r] = memcpy_once(&s, out);
        runs[3][r] = crc_once(&s);
    }
    f.decode = median(runs[0]);
    f.encode = median(runs[1]);
    f.copy = median(runs[2]);
    f.crc = median(runs[3]);
    *payload_bytes = s.payload;
    free(s.bytes);
    return f;
}

int main(void)
{
    static const uint32_t sizes[] = {16u, 256u, 4096u, 65536u};
    static const char *const names[] = {"length-prefixed", "delimited"};
    uint32_t cap = FW_RX_BUFFER_SIZE(MAX_SIZE, MAX_SIZE);
    uint8_t *rx = malloc(cap), *payload = malloc(MAX_SIZE);
    uint8_t *out = malloc(2u * STREAM_BYTES + (1u << 20)); /* the encoder's output */
    double lp64_decode = 0, lp64_copy = 0, dlm64_rate = 0, crc_ratio_worst[2] = {0, 0};
    size_t i;
    int framing, crc;
    if (rx == NULL || payload == NULL || out == NULL) {
        return 1;
    }
    for (i = 0; i < MAX_SIZE; ++i) {
        payload[i] = (uint8_t)(i * 131u + 7u); /* a zero every 256 bytes: COBS blocks vary */
    }
    printf("GB/s of payload, medians of %d runs of ~%u MiB each; memcpy and CRC-32C over the "
           "same encoded bytes\n\n",
           REPEATS, STREAM_BYTES >> 20);
    printf("| framing | size | crc | decode | encode | memcpy | CRC-32C | decode/memcpy |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
    for (framing = 0; framing < 2; ++framing) {
        for (i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
            struct figures plain = {0, 0, 0, 0};
            for (crc = 0; crc < 2; ++crc) {
                size_t bytes;
                struct figures f = measure((fw_framing)framing, sizes[i], crc != 0, payload, rx, cap,
                                           out, &bytes);
                double gb = (double)bytes / 1e9;
                printf("| %s | %u | %s | %.2f | %.2f | %.2f | %.2f | %.2f |\n", names[framing],
                       sizes[i], crc ? "yes" : "no", gb / f.decode, gb / f.encode, gb / f.copy,
                       gb / f.crc, f.copy / f.decode);
                if (!crc) {
                    plain = f;
                } else {
                    double ratio = f.decode / (f.crc + plain.decode);
                    if (sizes[i] >= 4096u && ratio > crc_ratio_worst[framing]) {
                        crc_ratio_worst[framing] = ratio;
                    }
                }
                if (sizes[i] == 65536u && !crc) {
                    if (framing == FW_LENGTH_PREFIXED) {
                        lp64_decode = f.decode;
                        lp64_copy = f.copy;
                    } else {
                        dlm64_rate = gb / f.decode;
                    }
                }
            }
        }
    }
    printf("\nTargets (ratios within this run):\n");
    printf("- length-prefixed decode of 64 KiB, no CRC: %.2fx memcpy (target >= 0.5x): %s\n",
           lp64_copy / lp64_decode, lp64_copy / lp64_decode >= 0.5 ? "met" : "NOT met");
    printf("- COBS (delimited) decode of 64 KiB, no CRC: %.2f GB/s (target >= 1 GB/s): %s\n",
           dlm64_rate, dlm64_rate >= 1.0 ? "met" : "NOT met");
    for (framing = 0; framing < 2; ++framing) {
        printf("- %s decode with CRC, 4 and 64 KiB, worst: %.2fx (CRC pass + decode without"
               " CRC) (target <= 1.2x): %s\n",
               names[framing], crc_ratio_worst[framing],
               crc_ratio_worst[framing] <= 1.2 ? "met" : "NOT met");
    }
    free(rx);
    free(payload);
    free(out);
    return 0;
}
