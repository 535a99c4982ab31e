/* Reset handler and vector table for the Cortex-M3 of mps2-an385, with no C library
 * start-up code: copy .data, clear .bss, paint the stack, call main, exit through
 * semihosting with main's status. */
#include <stdint.h>

#include "board.h"

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_bottom[], __stack_top[];

int main(void);
void fw_reset(void);

#define STACK_PAINT 0xC0DEFEEDu

/* The words of the stack below the reset handler's own frame are painted; this margin
 * keeps the painting loop clear of the words it is running on. */
#define PAINT_MARGIN_WORDS 32u

static void fw_fault(void)
{
    board_write("fault: hard fault or unexpected exception\n");
    board_exit(3);
}

__attribute__((section(".vectors"), used))
static void (*const fw_vectors[16])(void) = {
    (void (*)(void))(uintptr_t)__stack_top,
    fw_reset,
    fw_fault, fw_fault, fw_fault, fw_fault, fw_fault,
    0, 0, 0, 0,
    fw_fault, fw_fault, 0, fw_fault, fw_fault,
};

void fw_reset(void)
{
    uint32_t *word;
    const uint32_t *source = __data_load;
    for (word = __data_start; word < __data_end; ++word) {
        *word = *source++;
    }
    for (word = __bss_start; word < __bss_end; ++word) {
        *word = 0;
    }
    uint32_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (word = __stack_bottom; word < (uint32_t *)sp - PAINT_MARGIN_WORDS; ++word) {
        *word = STACK_PAINT;
    }
    board_exit(main());
}

size_t board_stack_high_water(void)
{
    const uint32_t *word = __stack_bottom;
    while (word < __stack_top && *word == STACK_PAINT) {
        ++word;
    }
    return (size_t)((const uint8_t *)__stack_top - (const uint8_t *)word);
}

__attribute__((noinline)) uintptr_t board_stack_paint(void)
{
    uint32_t *word;
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    /* A leaf function that keeps its locals in registers: what it pushed on entry is
     * above sp, everything below sp is free to paint. */
    for (word = __stack_bottom; (uintptr_t)word < sp; ++word) {
        *word = STACK_PAINT;
    }
    return sp;
}

size_t board_stack_depth(uintptr_t mark)
{
    const uint32_t *word = __stack_bottom;
    while ((uintptr_t)word < mark && *word == STACK_PAINT) {
        ++word;
    }
    return (size_t)(mark - (uintptr_t)word);
}

size_t board_stack_size(void)
{
    return (size_t)((const uint8_t *)__stack_top - (const uint8_t *)__stack_bottom);
}
