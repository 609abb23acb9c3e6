/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_route_parse: ASP.NET route templates and method lists, parsed into the
 * route_t the matcher walks (fa_route_private.h), or a reason they can't be.
 *
 * Runs in the httpd children, from fa_router_add, once a child for each
 * function of the app.  What it makes lives in the router's pool, which
 * also owns the constraints' compiled regexes (a cleanup frees them).  The
 * reasons it returns are static strings or from that pool; fa_router_add
 * names the template in front of them.
 */
#include <regex.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "fa_http.h"
#include "fa_route_private.h"

static apr_status_t regfree_cleanup(void *re)
{
    regfree(re);
    return APR_SUCCESS;
}

/* POSIX ERE lacks .NET's \d, which templates use a lot; rewrite it (and \w,
 * \s inside brackets, where POSIX takes '\' literally) and anchor the whole
 * expression, as ASP.NET users expect a constraint to cover the value. */
static const char *compile_regex(apr_pool_t *p, const char *expr,
                                 constraint_t *c)
{
    char *buf = apr_palloc(p, strlen(expr) * 5 + 8), *o = buf;
    const char *s = expr;
    int in_br = 0, rc;
    char msg[128];

#define EMIT(lit) (memcpy(o, lit, sizeof(lit) - 1), o += sizeof(lit) - 1)
    EMIT("^(");
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            if (*s == 'd') {
                in_br ? EMIT("0-9") : EMIT("[0-9]");
            }
            else if (*s == 'D' && !in_br) {
                EMIT("[^0-9]");
            }
            else if (*s == 'w' && in_br) {
                EMIT("[:alnum:]_");
            }
            else if (*s == 's' && in_br) {
                EMIT("[:space:]");
            }
            else if (in_br) {
                *o++ = *s; /* "[\.]" means '.' in .NET */
            }
            else {
                *o++ = '\\', *o++ = *s;
            }
            continue;
        }
        if (in_br && *s == '[' && s[1] == ':') {
            const char *e = strstr(s + 2, ":]");
            if (e) {
                memcpy(o, s, e + 2 - s);
                o += e + 2 - s;
                s = e + 1;
                continue;
            }
        }
        *o++ = *s;
        if (!in_br && *s == '[') {
            in_br = 1;
            if (s[1] == '^') {
                *o++ = *++s;
            }
            if (s[1] == ']') { /* a leading ']' is a member, not the end */
                *o++ = *++s;
            }
        }
        else if (in_br && *s == ']') {
            in_br = 0;
        }
    }
    EMIT(")$");
    *o = '\0';
#undef EMIT

    c->kind = K_REGEX;
    c->re = apr_pcalloc(p, sizeof(regex_t));
    rc = regcomp(c->re, buf, REG_EXTENDED | REG_NOSUB | REG_ICASE);
    if (rc) {
        regerror(rc, c->re, msg, sizeof(msg));
        return apr_psprintf(p, "bad regex '%s': %s", expr, msg);
    }
    apr_pool_cleanup_register(p, c->re, regfree_cleanup, apr_pool_cleanup_null);
    return NULL;
}

/* Splits "a, b" into at most max integers; -1 if that fails. */
static int parse_args(const char *arg, apr_int64_t *v, int max)
{
    const char *e, *t;
    int n = 0;

    for (;;) {
        arg += strspn(arg, " ");
        e = arg + strcspn(arg, ",");
        for (t = e; t > arg && t[-1] == ' '; t--) {
            ;
        }
        if (n == max || !parse_i64(arg, t - arg, &v[n++])) {
            return -1;
        }
        if (!*e) {
            return n;
        }
        arg = e + 1;
    }
}

#define GUID_D "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
#define DECIMAL "[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)"
#define HH_MM "([01][0-9]|2[0-3]):[0-5][0-9]"

static const char *add_constraint(apr_pool_t *p, part_t *pt, const char *name,
                                  const char *arg)
{
    /* .NET's TryParse-based checks, as the shapes they accept (invariant
     * culture, no surrounding white space). */
    static const char *const shapes[][2] = {
        {"bool", "true|false"},
        {"guid", "[0-9a-f]{32}|" GUID_D "|[{]" GUID_D "[}]|[(]" GUID_D "[)]"},
        {"alpha", "[a-z]+"},
        {"double", DECIMAL "(e[+-]?[0-9]+)?"},
        {"float", DECIMAL "(e[+-]?[0-9]+)?"},
        {"decimal", DECIMAL},
        {"datetime",
         "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
         "([t ]" HH_MM "(:[0-5][0-9]([.][0-9]+)?)?"
         "(z|[+-]" HH_MM ")?)?"},
        {"required", ".+"},
    };
    constraint_t *c = apr_array_push(pt->cons);
    apr_int64_t v[2];
    int n = arg ? parse_args(arg, v, 2) : 0, is_len;
    size_t i;

    c->re = NULL;
    c->lo = APR_INT64_MIN;
    c->hi = APR_INT64_MAX;
    if (same(name, "regex")) {
        return arg && *arg ? compile_regex(p, arg, c)
                           : "constraint 'regex' needs an expression";
    }
    for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        if (same(name, shapes[i][0])) {
            return arg
                ? apr_psprintf(p, "constraint '%s' takes no argument", name)
                : compile_regex(p, shapes[i][1], c);
        }
    }
    c->kind = K_RANGE;
    if (same(name, "int") || same(name, "long")) {
        if (same(name, "int")) {
            c->lo = APR_INT32_MIN, c->hi = APR_INT32_MAX;
        }
        return arg ? apr_psprintf(p, "constraint '%s' takes no argument", name)
                   : NULL;
    }
    is_len = same(name, "length") || same(name, "minlength")
        || same(name, "maxlength");
    if (!is_len && !same(name, "min") && !same(name, "max")
        && !same(name, "range")) {
        return apr_psprintf(p, "unknown constraint '%s'", name);
    }
    if (is_len) {
        c->kind = K_LENGTH, c->lo = 0;
    }
    if ((same(name, "min") || same(name, "minlength")) && n == 1) {
        c->lo = v[0];
    }
    else if ((same(name, "max") || same(name, "maxlength")) && n == 1) {
        c->hi = v[0];
    }
    else if ((same(name, "range") && n == 2)
             || (same(name, "length") && n > 0)) {
        c->lo = v[0], c->hi = v[n - 1];
    }
    else {
        n = -1;
    }
    if (n < 0 || (is_len && c->lo < 0) || c->lo > c->hi) {
        return apr_psprintf(p, "bad argument for constraint '%s'", name);
    }
    return NULL;
}

/* Parses the unescaped text between a parameter's braces:
 * [*|**]name(:constraint[(arg)])*[=default|?] */
static const char *parse_param_body(apr_pool_t *p, const char *b, part_t *pt)
{
    const char *err;
    apr_size_t n;

    pt->cons = apr_array_make(p, 1, sizeof(constraint_t));
    if (*b == '*') {
        pt->catch_all = 1;
        b += b[1] == '*' ? 2 : 1;
    }
    n = strcspn(b, ":=?");
    if (!n) {
        return "empty parameter name";
    }
    pt->name = apr_pstrmemdup(p, b, n);
    if (strpbrk(pt->name, "/{}*")) {
        return apr_psprintf(p, "bad parameter name '%s'", pt->name);
    }
    for (b += n; *b == ':';) {
        const char *cname, *arg = NULL, *q;

        n = strcspn(++b, "(:=?");
        if (!n) {
            return "empty constraint name";
        }
        cname = apr_pstrmemdup(p, b, n);
        b += n;
        if (*b == '(') {
            /* ASP.NET's rule, so a regex may hold ')' and ':': the argument
             * ends at a ')' that ends the parameter or precedes ':' '=' '?'. */
            for (q = b + 1;; q++) {
                if (!*q) {
                    return "unbalanced '(' in a constraint";
                }
                if (*q == ')'
                    && (!q[1] || q[1] == ':' || q[1] == '='
                        || (q[1] == '?' && !q[2]))) {
                    break;
                }
            }
            arg = apr_pstrmemdup(p, b + 1, q - b - 1);
            b = q + 1;
        }
        if ((err = add_constraint(p, pt, cname, arg)) != NULL) {
            return err;
        }
    }
    if (*b == '?' && !b[1]) {
        pt->optional = 1;
    }
    else if (*b == '=') {
        pt->def = b + 1;
        if (!*pt->def || pt->def[strlen(pt->def) - 1] == '?') {
            return apr_psprintf(p, "parameter '%s' has a bad default value",
                                pt->name);
        }
        if (!part_accepts(p, pt, pt->def, strlen(pt->def))) {
            return apr_psprintf(p,
                                "default of parameter '%s' fails its "
                                "constraints",
                                pt->name);
        }
    }
    else if (*b) {
        return apr_psprintf(p, "unexpected '%c' in parameter '%s'", *b,
                            pt->name);
    }
    if (pt->catch_all && pt->optional) {
        return "a catch-all parameter can't be optional";
    }
    return NULL;
}

/* One part starting at *s: "{...}" is a parameter, anything else a literal
 * up to the next '/' or unescaped '{'.  Doubled braces are literal braces,
 * in parameters too. */
static const char *parse_part(apr_pool_t *p, const char **s, part_t *pt)
{
    const char *q = *s;
    char *buf = apr_palloc(p, strlen(q) + 1);
    apr_size_t n = 0;
    int param = q[0] == '{' && q[1] != '{';

    memset(pt, 0, sizeof(*pt));
    if (param) {
        q++;
    }
    for (;;) {
        if (!*q || (!param && *q == '/')) {
            if (param) {
                return "unbalanced '{'";
            }
            break;
        }
        if ((*q == '{' || *q == '}') && q[1] == *q) {
            buf[n++] = *q;
            q += 2;
            continue;
        }
        if (*q == '}') {
            if (!param) {
                return "unbalanced '}'";
            }
            q++;
            break;
        }
        if (*q == '{') {
            if (param) {
                return "unescaped '{' inside a parameter";
            }
            break;
        }
        if (*q == '?' && !param) {
            return "'?' in a literal";
        }
        buf[n++] = *q++;
    }
    buf[n] = '\0';
    *s = q;
    if (param) {
        return parse_param_body(p, buf, pt);
    }
    pt->text = buf;
    pt->len = n;
    return NULL;
}

/* Template-wide rules that need every segment parsed first. */
static const char *validate(apr_pool_t *p, route_t *r)
{
    apr_array_header_t *names = apr_array_make(p, 4, sizeof(const char *));
    const char *omittable = NULL;
    int i, j, k;

    for (i = 0; i < r->segs->nelts; i++) {
        apr_array_header_t *seg = SEG(r, i);
        part_t *pt = PARTS(seg);
        int simple = seg->nelts == 1 && pt->name;

        if (omittable
            && !(simple && (pt->optional || pt->def || pt->catch_all))) {
            return apr_psprintf(p,
                                "optional parameter '%s' is followed by a "
                                "required segment",
                                omittable);
        }
        for (j = 0; j < seg->nelts; j++) {
            if (!pt[j].name) {
                continue;
            }
            if (j && pt[j - 1].name) {
                return "two parameters with nothing between them";
            }
            if (pt[j].catch_all && (seg->nelts > 1 || i < r->segs->nelts - 1)) {
                return apr_psprintf(p,
                                    "catch-all parameter '%s' must be the "
                                    "whole last segment",
                                    pt[j].name);
            }
            if (seg->nelts > 1 && pt[j].def) {
                return apr_psprintf(p,
                                    "parameter '%s' shares its segment, so "
                                    "it can't have a default",
                                    pt[j].name);
            }
            /* ASP.NET's one exception: "{name}.{ext?}". */
            if (seg->nelts > 1 && pt[j].optional
                && (j != seg->nelts - 1 || j < 2
                    || strcmp(pt[j - 1].text, "."))) {
                return apr_psprintf(p,
                                    "optional parameter '%s' shares its "
                                    "segment, so it must end it, after a '.'",
                                    pt[j].name);
            }
            for (k = 0; k < names->nelts; k++) {
                if (same(APR_ARRAY_IDX(names, k, const char *), pt[j].name)) {
                    return apr_psprintf(p, "parameter '%s' appears twice",
                                        pt[j].name);
                }
            }
            APR_ARRAY_PUSH(names, const char *) = pt[j].name;
        }
        if (simple && (pt->optional || pt->def)) {
            omittable = pt->name;
        }
    }
    r->nparams = names->nelts;
    return NULL;
}

const char *fa_route_parse_template(apr_pool_t *p, const char *t, route_t *r)
{
    const char *err;

    r->segs = apr_array_make(p, 4, sizeof(apr_array_header_t *));
    if (*t == '/') {
        t++;
    }
    while (*t) {
        apr_array_header_t *seg = apr_array_make(p, 1, sizeof(part_t));
        while (*t && *t != '/') {
            if ((err = parse_part(p, &t, apr_array_push(seg))) != NULL) {
                return err;
            }
        }
        if (!seg->nelts) {
            return "empty segment";
        }
        APR_ARRAY_PUSH(r->segs, apr_array_header_t *) = seg;
        if (*t == '/') {
            t++; /* so a trailing '/' in the template is ignored */
        }
    }
    return validate(p, r);
}

const char *fa_route_parse_methods(apr_pool_t *p, const char *m,
                                   apr_array_header_t *out)
{
    while (m && *m) {
        apr_size_t n;
        char *word;
        int i;

        m += strspn(m, " \t,");
        n = strcspn(m, ",");
        while (n && (m[n - 1] == ' ' || m[n - 1] == '\t')) {
            n--;
        }
        if (!n) {
            break;
        }
        word = apr_pstrmemdup(p, m, n);
        for (i = 0; word[i]; i++) {
            if (!fa_http_is_tchar((unsigned char)word[i])) {
                return apr_psprintf(p, "bad method '%s'", word);
            }
            word[i] = (char)apr_toupper(word[i]);
        }
        push_unique(out, word);
        m += strcspn(m, ",");
    }
    return NULL;
}
