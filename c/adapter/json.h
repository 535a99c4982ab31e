/*
 * A small JSON reader and writer for the conformance adapter's requests and replies
 * (spec/conformance.md 10.3): one request per line, parsed into a tree of nodes.
 * Host-side test tooling: it allocates, unlike the library.
 */
#ifndef FW_JSON_H
#define FW_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum json_kind { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_kind;

typedef struct json {
    json_kind kind;
    double number;       /* JSON_NUMBER; JSON_BOOL: 0 or 1 */
    char *string;        /* JSON_STRING (NUL-terminated); member name inside an object */
    char *key;           /* the member's name when this node is an object member */
    struct json *child;  /* first element or member */
    struct json *next;   /* next sibling */
} json;

/* Parse one JSON text; NULL on a syntax error. */
json *json_parse(const char *text);
void json_free(json *j);
/* The member `key` of an object, or NULL. */
const json *json_get(const json *obj, const char *key);
/* Member accessors with a default when absent or of another kind. */
const char *json_string(const json *obj, const char *key, const char *dflt);
double json_number(const json *obj, const char *key, double dflt);
bool json_bool(const json *obj, const char *key, bool dflt);

/* A growing output string. */
typedef struct jbuf {
    char *s;
    size_t len;
    size_t cap;
} jbuf;

void jb_raw(jbuf *b, const char *text);
void jb_rawn(jbuf *b, const char *text, size_t n);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void jb_printf(jbuf *b, const char *fmt, ...);
/* A JSON string literal of n bytes of UTF-8 text. */
void jb_string(jbuf *b, const char *text, size_t n);
/* A JSON string of the bytes in lowercase hexadecimal. */
void jb_hex(jbuf *b, const unsigned char *p, size_t n);

#endif
