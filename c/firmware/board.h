/* The few services of the mps2-an385 board that the firmware images use: semihosting
 * (console and exit code, through the debugger interface QEMU emulates), the CMSDK APB
 * UART0, and the stack high-water mark. */
#ifndef FW_BOARD_H
#define FW_BOARD_H

#include <stddef.h>
#include <stdint.h>

/* Semihosting: text to the host's console; end the emulation with a status. */
void board_write(const char *text);
void board_write_uint(unsigned long value);
void board_exit(int status) __attribute__((noreturn));

/* UART0: blocking byte I/O; board_uart_poll returns -1 when no byte waits. */
void board_uart_init(void);
void board_uart_put(uint8_t byte);
int board_uart_poll(void);

/* Bytes of the stack that were ever written since reset (painted at reset). */
size_t board_stack_high_water(void);
size_t board_stack_size(void);

/* Depth of one stretch of code: board_stack_paint() repaints the stack below its
 * caller's frame and returns that frame's stack pointer; board_stack_depth(mark), called
 * from the same function afterwards, gives the deepest byte written below it since. */
uintptr_t board_stack_paint(void);
size_t board_stack_depth(uintptr_t mark);

#endif
