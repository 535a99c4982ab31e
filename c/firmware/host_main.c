/* The vector runner on the host, for comparison with the emulated board's counts. */
#include <stdio.h>

#include "runner.h"

void runner_out(const char *text)
{
    fputs(text, stdout);
}

void runner_stack_begin(void)
{
}

size_t runner_stack_end(void)
{
    return 0;
}

int main(void)
{
    struct runner_totals totals;
    runner_run(&totals);
    runner_print_totals("vectors on the host", &totals);
    return totals.failed == 0u ? 0 : 1;
}
