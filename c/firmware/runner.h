/* Runs the conformance vectors of vector_table.h against the C library, on any target:
 * the platform supplies the output and the stack probes. */
#ifndef FW_RUNNER_H
#define FW_RUNNER_H

#include <stddef.h>

/* Supplied by the platform (host_main.c, firmware_main.c). */
void runner_out(const char *text);
void runner_stack_begin(void);
size_t runner_stack_end(void); /* bytes of stack used since runner_stack_begin(), or 0 */

struct runner_totals {
    unsigned long passed;
    unsigned long failed;
    unsigned long failed_should; /* failures of SHOULD cases, counted in failed too */
    size_t stack_max;            /* deepest stack of one case, from runner_stack_end() */
};

/* Runs every case, prints each failing id, and fills *totals. */
void runner_run(struct runner_totals *totals);

/* Prints "<label>: N passed, N failed" and the stack figure, in decimal. */
void runner_print_totals(const char *label, const struct runner_totals *totals);

#endif
