/* The includes cmocka needs before its own header. */
#ifndef FW_CMOCKA_PRELUDE_H
#define FW_CMOCKA_PRELUDE_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
