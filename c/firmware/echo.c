/* Echo firmware: the C library on the board's UART0, which QEMU attaches to a host
 * pseudo-terminal (c/firmware.mk, tests/c/test_c_firmware_serial.py).
 *
 * Codec profile (default): delimited framing, CRC-32C on every frame sent, hunting on
 * (FW-DLM-8). Every message received is sent back unchanged; every frame the line
 * damaged is reported as a message of type ECHO_REPORT_TYPE whose payload is the error's
 * registry code (2 bytes, big-endian), so the host sees that the board dropped it
 * (FW-DLM-6). Before its first frame the board sends a lone 0x00 (FW-DLM-1).
 *
 * Session profile (-DECHO_SESSION): delimited framing, no deadlines (the board has no
 * clock here). A serial line has no connection, so the board answers: its preface and
 * HELLO wait for the host's first byte. Every data message is echoed.
 */
#include "board.h"
#include "framewire.h"

#define ECHO_REPORT_TYPE 0x7Eu
#define MAX_FRAME 1024u
#define MAX_MESSAGE 4096u

static uint8_t rx[FW_RX_BUFFER_SIZE(MAX_FRAME, MAX_MESSAGE)];

static void uart_write(const uint8_t *data, size_t n)
{
    while (n-- > 0u) {
        board_uart_put(*data++);
    }
}

#ifndef ECHO_SESSION

static uint8_t tx[FW_DLM_FRAME_BOUND(MAX_FRAME) * (MAX_MESSAGE / MAX_FRAME + 1u)];

static void send_message(uint8_t type, uint8_t flags, const uint8_t *payload, uint32_t len)
{
    static int lead_in_sent;
    size_t n;
    if (!lead_in_sent) {
        board_uart_put(0x00);
        lead_in_sent = 1;
    }
    n = fw_encode_message(tx, sizeof tx, FW_DELIMITED, type, flags, payload, len, MAX_FRAME, true);
    uart_write(tx, n);
}

int main(void)
{
    fw_decoder dec;
    fw_event ev;
    board_uart_init();
    if (fw_decoder_init(&dec, FW_DELIMITED, MAX_FRAME, MAX_MESSAGE, FW_DECODE_HUNTING, rx,
                        sizeof rx) != FW_STATUS_OK) {
        board_write("echo: decoder refused its settings\n");
        return 2;
    }
    for (;;) {
        int byte = board_uart_poll();
        uint8_t in;
        size_t left = 1;
        if (byte < 0) {
            continue;
        }
        in = (uint8_t)byte;
        while (left > 0u) {
            left -= fw_decoder_feed(&dec, &in, left, &ev);
            if (ev.kind == FW_EVENT_MESSAGE) {
                send_message(ev.type, ev.flags, ev.data, ev.len);
            } else if (ev.kind == FW_EVENT_ERROR) {
                const uint8_t code[2] = {(uint8_t)(ev.code >> 8), (uint8_t)ev.code};
                send_message(ECHO_REPORT_TYPE, 0, code, sizeof code);
            }
        }
    }
}

#else /* ECHO_SESSION */

static uint8_t tx[FW_DLM_FRAME_BOUND(MAX_FRAME) * (MAX_MESSAGE / MAX_FRAME + 1u) + FW_SESSION_TX_MIN];

static void flush(fw_session *s)
{
    size_t n;
    const uint8_t *out = fw_session_output(s, &n);
    uart_write(out, n);
    fw_session_output_done(s, n);
}

int main(void)
{
    fw_session s;
    fw_session_config cfg;
    fw_event ev;
    board_uart_init();
    fw_session_config_default(&cfg);
    cfg.framing = FW_DELIMITED;
    cfg.max_frame_size = MAX_FRAME;
    cfg.max_message_size = MAX_MESSAGE;
    cfg.handshake_ms = 0;
    cfg.frame_ms = 0;
    if (fw_session_init(&s, &cfg, rx, sizeof rx, tx, sizeof tx, 0) != FW_STATUS_OK) {
        board_write("echo: session refused its settings\n");
        return 2;
    }
    for (;;) {
        int byte = board_uart_poll();
        uint8_t in;
        size_t left = 1;
        if (byte < 0) {
            continue;
        }
        in = (uint8_t)byte;
        while (left > 0u) {
            left -= fw_session_feed(&s, &in, left, 0, &ev);
            if (ev.kind == FW_EVENT_MESSAGE) {
                (void)fw_session_send(&s, ev.type, ev.flags, ev.data, ev.len);
            }
            flush(&s); /* the first flush, after the host's first byte, is the answer */
        }
    }
}

#endif /* ECHO_SESSION */
