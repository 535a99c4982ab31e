/*
 * COBS encoding, canonical as FW-COB-1 defines it, written in pieces so that a frame's
 * header, payload and trailer need not be contiguous; the same writer copies them
 * unencoded for length-prefixed framing. (Decoding is the delimited reader's: it
 * decodes as the bytes arrive.)
 */
#include "internal.h"

void fw__cobs_start(fw__cobs *c, uint8_t *out, size_t cap, bool raw)
{
    c->out = out;
    c->cap = cap;
    c->code_at = 0;
    c->w = raw ? 0u : 1u;
    c->run = 1;
    c->open = !raw;
    c->raw = raw;
    c->full = cap == 0u;
}

/* Reserve the next output byte; false (and full set) when there is no room. */
static bool room(fw__cobs *c)
{
    if (c->full || c->w >= c->cap) {
        c->full = true;
        return false;
    }
    return true;
}

static void open_block(fw__cobs *c)
{
    c->code_at = c->w++;
    c->run = 1;
    c->open = true;
}

void fw__cobs_put(fw__cobs *c, const uint8_t *in, size_t n)
{
    if (c->raw) {
        if (n > c->cap - c->w) {
            c->full = true;
        } else if (n != 0u) {
            memcpy(c->out + c->w, in, n);
            c->w += n;
        }
        return;
    }
    while (n > 0u) {
        size_t k;
        const uint8_t *zero;
        if (!c->open) {
            if (!room(c)) {
                return;
            }
            open_block(c);
        }
        /* a run of non-zero bytes, as many as the block still holds, copied at once */
        k = (size_t)(0xFFu - c->run);
        if (k > n) {
            k = n;
        }
        zero = (const uint8_t *)memchr(in, 0, k);
        if (zero != NULL) {
            k = (size_t)(zero - in);
        }
        if (k > c->cap - c->w) {
            c->full = true;
            return;
        }
        memcpy(c->out + c->w, in, k);
        c->w += k;
        c->run = (uint8_t)(c->run + k);
        in += k;
        n -= k;
        if (c->run == 0xFFu) {
            c->out[c->code_at] = c->run; /* a full block stands for no zero */
            c->open = false;
        } else if (n > 0u) {
            /* a zero: the block ends with the zero it stands for; the next opens at once */
            c->out[c->code_at] = c->run;
            in++;
            n--;
            if (!room(c)) {
                return;
            }
            open_block(c);
        }
    }
}

size_t fw__cobs_finish(fw__cobs *c)
{
    if (c->full) {
        return 0;
    }
    if (c->open) {
        c->out[c->code_at] = c->run;
    }
    return c->w;
}

size_t fw_cobs_encode(uint8_t *out, size_t cap, const uint8_t *in, size_t n)
{
    fw__cobs c;

    fw__cobs_start(&c, out, cap, false);
    fw__cobs_put(&c, in, n);
    return fw__cobs_finish(&c);
}
