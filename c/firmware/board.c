/* Semihosting calls (ARM's "bkpt 0xAB" interface, which QEMU serves with
 * -semihosting-config enable=on) and the CMSDK APB UART0 at 0x40004000. */
#include "board.h"

#define SYS_WRITE0 0x04
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static uintptr_t semihost(uintptr_t operation, const void *argument)
{
    register uintptr_t r0 __asm__("r0") = operation;
    register const void *r1 __asm__("r1") = argument;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void board_write(const char *text)
{
    semihost(SYS_WRITE0, text);
}

void board_write_uint(unsigned long value)
{
    char digits[24];
    char *cursor = digits + sizeof digits - 1;
    *cursor = '\0';
    do {
        *--cursor = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0u);
    board_write(cursor);
}

void board_exit(int status)
{
    /* SYS_EXIT_EXTENDED carries the status, which QEMU makes its own exit status. */
    const uintptr_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uintptr_t)status};
    semihost(SYS_EXIT_EXTENDED, block);
    for (;;) {
    }
}

/* CMSDK APB UART registers. */
#define UART0_BASE 0x40004000u
#define UART_DATA (*(volatile uint32_t *)(UART0_BASE + 0x00u))
#define UART_STATE (*(volatile uint32_t *)(UART0_BASE + 0x04u))
#define UART_CTRL (*(volatile uint32_t *)(UART0_BASE + 0x08u))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0_BASE + 0x10u))
#define UART_STATE_TX_FULL 0x1u
#define UART_STATE_RX_FULL 0x2u
#define UART_CTRL_TX_ENABLE 0x1u
#define UART_CTRL_RX_ENABLE 0x2u

void board_uart_init(void)
{
    UART_BAUDDIV = 16u; /* the smallest divisor the block accepts; QEMU ignores the rate */
    UART_CTRL = UART_CTRL_TX_ENABLE | UART_CTRL_RX_ENABLE;
}

void board_uart_put(uint8_t byte)
{
    while ((UART_STATE & UART_STATE_TX_FULL) != 0u) {
    }
    UART_DATA = byte;
}

int board_uart_poll(void)
{
    if ((UART_STATE & UART_STATE_RX_FULL) == 0u) {
        return -1;
    }
    return (int)(UART_DATA & 0xFFu);
}
