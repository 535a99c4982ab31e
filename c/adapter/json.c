/* The adapter's JSON reader and writer: just enough of RFC 8259 for the adapter protocol. */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const char *p;
} parser;

static void skip_ws(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') {
        ps->p++;
    }
}

static json *node(json_kind kind)
{
    json *j = calloc(1, sizeof *j);
    if (j == NULL) {
        abort();
    }
    j->kind = kind;
    return j;
}

static void put_utf8(char *out, size_t *w, unsigned long cp)
{
    if (cp < 0x80ul) {
        out[(*w)++] = (char)cp;
    } else if (cp < 0x800ul) {
        out[(*w)++] = (char)(0xC0ul | (cp >> 6));
        out[(*w)++] = (char)(0x80ul | (cp & 0x3Ful));
    } else if (cp < 0x10000ul) {
        out[(*w)++] = (char)(0xE0ul | (cp >> 12));
        out[(*w)++] = (char)(0x80ul | ((cp >> 6) & 0x3Ful));
        out[(*w)++] = (char)(0x80ul | (cp & 0x3Ful));
    } else {
        out[(*w)++] = (char)(0xF0ul | (cp >> 18));
        out[(*w)++] = (char)(0x80ul | ((cp >> 12) & 0x3Ful));
        out[(*w)++] = (char)(0x80ul | ((cp >> 6) & 0x3Ful));
        out[(*w)++] = (char)(0x80ul | (cp & 0x3Ful));
    }
}

static char *parse_string(parser *ps)
{
    const char *start = ps->p + 1;
    const char *q = start;
    char *out;
    size_t w = 0;

    while (*q != '"') {
        if (*q == '\0') {
            return NULL;
        }
        q += *q == '\\' && q[1] != '\0' ? 2 : 1;
    }
    out = malloc((size_t)(q - start) + 1u);
    if (out == NULL) {
        abort();
    }
    for (q = start; *q != '"'; q++) {
        if (*q != '\\') {
            out[w++] = *q;
            continue;
        }
        q++;
        switch (*q) {
        case 'n': out[w++] = '\n'; break;
        case 't': out[w++] = '\t'; break;
        case 'r': out[w++] = '\r'; break;
        case 'b': out[w++] = '\b'; break;
        case 'f': out[w++] = '\f'; break;
        case 'u': {
            char hex[5] = {0, 0, 0, 0, 0};
            unsigned long cp;
            memcpy(hex, q + 1, 4);
            cp = strtoul(hex, NULL, 16);
            q += 4;
            if (cp >= 0xD800ul && cp < 0xDC00ul && q[1] == '\\' && q[2] == 'u') {
                unsigned long lo;
                memcpy(hex, q + 3, 4);
                lo = strtoul(hex, NULL, 16);
                cp = 0x10000ul + ((cp - 0xD800ul) << 10) + (lo - 0xDC00ul);
                q += 6;
            }
            put_utf8(out, &w, cp);
            break;
        }
        default: out[w++] = *q; break;
        }
    }
    out[w] = '\0';
    ps->p = q + 1;
    return out;
}

static json *parse_value(parser *ps);

static json *parse_items(parser *ps, json *j, char close, bool members)
{
    json **tail = &j->child;

    ps->p++;
    skip_ws(ps);
    if (*ps->p == close) {
        ps->p++;
        return j;
    }
    for (;;) {
        char *key = NULL;
        json *item;
        skip_ws(ps);
        if (members) {
            if (*ps->p != '"' || (key = parse_string(ps)) == NULL) {
                json_free(j);
                return NULL;
            }
            skip_ws(ps);
            if (*ps->p++ != ':') {
                free(key);
                json_free(j);
                return NULL;
            }
        }
        item = parse_value(ps);
        if (item == NULL) {
            free(key);
            json_free(j);
            return NULL;
        }
        item->key = key;
        *tail = item;
        tail = &item->next;
        skip_ws(ps);
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == close) {
            ps->p++;
            return j;
        }
        json_free(j);
        return NULL;
    }
}

static json *parse_value(parser *ps)
{
    json *j;

    skip_ws(ps);
    switch (*ps->p) {
    case '{':
        return parse_items(ps, node(JSON_OBJECT), '}', true);
    case '[':
        return parse_items(ps, node(JSON_ARRAY), ']', false);
    case '"':
        j = node(JSON_STRING);
        j->string = parse_string(ps);
        if (j->string == NULL) {
            free(j);
            return NULL;
        }
        return j;
    case 't':
    case 'f':
        j = node(JSON_BOOL);
        j->number = *ps->p == 't' ? 1.0 : 0.0;
        ps->p += *ps->p == 't' ? 4 : 5;
        return j;
    case 'n':
        ps->p += 4;
        return node(JSON_NULL);
    default: {
        char *end;
        j = node(JSON_NUMBER);
        j->number = strtod(ps->p, &end);
        if (end == ps->p) {
            free(j);
            return NULL;
        }
        ps->p = end;
        return j;
    }
    }
}

json *json_parse(const char *text)
{
    parser ps;
    json *j;

    ps.p = text;
    j = parse_value(&ps);
    if (j != NULL) {
        skip_ws(&ps);
        if (*ps.p != '\0') {
            json_free(j);
            return NULL;
        }
    }
    return j;
}

void json_free(json *j)
{
    while (j != NULL) {
        json *next = j->next;
        json_free(j->child);
        free(j->string);
        free(j->key);
        free(j);
        j = next;
    }
}

const json *json_get(const json *obj, const char *key)
{
    const json *c;

    if (obj == NULL || obj->kind != JSON_OBJECT) {
        return NULL;
    }
    for (c = obj->child; c != NULL; c = c->next) {
        if (strcmp(c->key, key) == 0) {
            return c;
        }
    }
    return NULL;
}

const char *json_string(const json *obj, const char *key, const char *dflt)
{
    const json *j = json_get(obj, key);
    return j != NULL && j->kind == JSON_STRING ? j->string : dflt;
}

double json_number(const json *obj, const char *key, double dflt)
{
    const json *j = json_get(obj, key);
    return j != NULL && j->kind == JSON_NUMBER ? j->number : dflt;
}

bool json_bool(const json *obj, const char *key, bool dflt)
{
    const json *j = json_get(obj, key);
    return j != NULL && j->kind == JSON_BOOL ? j->number != 0.0 : dflt;
}

void jb_rawn(jbuf *b, const char *text, size_t n)
{
    if (b->len + n + 1u > b->cap) {
        size_t cap = b->cap == 0u ? 256u : b->cap;
        while (b->len + n + 1u > cap) {
            cap *= 2u;
        }
        b->s = realloc(b->s, cap);
        if (b->s == NULL) {
            abort();
        }
        b->cap = cap;
    }
    memcpy(b->s + b->len, text, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void jb_raw(jbuf *b, const char *text)
{
    jb_rawn(b, text, strlen(text));
}

void jb_printf(jbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) {
        jb_rawn(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1u);
    }
}

void jb_string(jbuf *b, const char *text, size_t n)
{
    size_t i;

    jb_raw(b, "\"");
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            jb_rawn(b, esc, 2);
        } else if (c < 0x20u) {
            jb_printf(b, "\\u%04x", (unsigned)c);
        } else {
            jb_rawn(b, text + i, 1);
        }
    }
    jb_raw(b, "\"");
}

void jb_hex(jbuf *b, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    jb_raw(b, "\"");
    for (i = 0; i < n; i++) {
        char two[2];
        two[0] = digits[p[i] >> 4];
        two[1] = digits[p[i] & 0x0Fu];
        jb_rawn(b, two, 2);
    }
    jb_raw(b, "\"");
}
