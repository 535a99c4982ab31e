/* The vector runner on the emulated Cortex-M3: counts through semihosting, the status
 * as QEMU's exit status, and the stack measured by painting (startup.c). */
#include "board.h"
#include "runner.h"

void runner_out(const char *text)
{
    board_write(text);
}

static uintptr_t mark;

void runner_stack_begin(void)
{
    mark = board_stack_paint();
}

size_t runner_stack_end(void)
{
    return board_stack_depth(mark);
}

int main(void)
{
    struct runner_totals totals;
    runner_run(&totals);
    runner_print_totals("vectors on the board", &totals);
    board_write("stack high-water mark since reset: ");
    board_write_uint(board_stack_high_water());
    board_write(" of ");
    board_write_uint(board_stack_size());
    board_write(" bytes\n");
    return totals.failed == 0u ? 0 : 1;
}
