/**
 * fa_route: ASP.NET route templates, compiled once and matched per request.
 *
 * A template is split into segments at '/'; a segment is a list of parts,
 * each a literal or a parameter.  Routes are kept sorted by precedence when
 * added, so matching is a walk over the list that stops at the first route
 * whose path and method both fit.  Nothing is allocated from the request pool
 * for a route that loses, except the copy a regex constraint needs.
 */
#include <regex.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "fa_route.h"

typedef enum { K_RANGE, K_LENGTH, K_REGEX } kind_e;

/** One constraint: lo..hi bound the integer value (K_RANGE: int, long, min,
 * max, range) or the length (K_LENGTH); every other check is a regex. */
typedef struct {
    kind_e kind;
    apr_int64_t lo, hi;
    regex_t *re;
} constraint_t;

/** A piece of a segment: a literal when name is NULL, else a parameter. */
typedef struct {
    const char *text;           /* literal text, unescaped */
    apr_size_t len;
    const char *name;
    const char *def;            /* default value, or NULL */
    int optional, catch_all;
    apr_array_header_t *cons;   /* of constraint_t */
} part_t;

typedef struct {
    apr_array_header_t *segs;     /* of apr_array_header_t * (of part_t) */
    apr_array_header_t *methods;  /* of const char *, upper case; none = any */
    int index;
    int nparams;
} route_t;

struct fa_router {
    apr_pool_t *pool;
    apr_array_header_t *routes;   /* of route_t *, in precedence order */
    int max_params;
};

/** A route value found while matching, copied out only if the route wins. */
typedef struct {
    const part_t *part;
    const char *s;
    apr_size_t len;
} value_t;

#define SEG(r, i) (APR_ARRAY_IDX((r)->segs, (i), apr_array_header_t *))
#define PARTS(a) ((part_t *)(a)->elts)

/* ASCII only: route matching must not depend on the process locale. */
static int fold(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int same_n(const char *a, const char *b, apr_size_t n)
{
    for (; n; n--, a++, b++)
        if (fold((unsigned char)*a) != fold((unsigned char)*b))
            return 0;
    return 1;
}

static int same(const char *a, const char *b)
{
    apr_size_t n = strlen(a);
    return n == strlen(b) && same_n(a, b, n);
}

/* Keeps the first appearance: Allow lists methods in precedence order. */
static void push_unique(apr_array_header_t *a, const char *s)
{
    int i;

    for (i = 0; i < a->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(a, i, const char *), s))
            return;
    APR_ARRAY_PUSH(a, const char *) = s;
}

/* ---- value checks ------------------------------------------------------- */

/* Like .NET's long.TryParse minus the whitespace: optional sign, digits. */
static int parse_i64(const char *s, apr_size_t len, apr_int64_t *out)
{
    apr_uint64_t u = 0, limit = (apr_uint64_t)APR_INT64_MAX;
    apr_size_t i = 0;
    int neg = len && s[0] == '-';

    if (len && (s[0] == '+' || neg))
        i++;
    if (i == len)
        return 0;
    limit += neg;
    for (; i < len; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9 || u > (limit - d) / 10)
            return 0;
        u = u * 10 + d;
    }
    /* -2^63 has no positive counterpart, so negate in unsigned space. */
    *out = neg ? (apr_int64_t)(~u + 1) : (apr_int64_t)u;
    return 1;
}

/* Characters, not bytes: .NET counts UTF-16 units, code points are closer
 * to that than UTF-8 bytes. */
static apr_int64_t char_count(const char *s, apr_size_t len)
{
    apr_int64_t n = 0;

    for (; len; len--, s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int satisfies(apr_pool_t *p, const constraint_t *c, const char *s,
                     apr_size_t len)
{
    apr_int64_t v;

    switch (c->kind) {
    case K_RANGE:
        return parse_i64(s, len, &v) && v >= c->lo && v <= c->hi;
    case K_LENGTH:
        v = char_count(s, len);
        return v >= c->lo && v <= c->hi;
    case K_REGEX:
        return regexec(c->re, apr_pstrmemdup(p, s, len), 0, NULL, 0) == 0;
    }
    return 0;
}

static int part_accepts(apr_pool_t *p, const part_t *pt, const char *s,
                        apr_size_t len)
{
    int i;

    for (i = 0; i < pt->cons->nelts; i++)
        if (!satisfies(p, &APR_ARRAY_IDX(pt->cons, i, constraint_t), s, len))
            return 0;
    return 1;
}

/* ---- template parsing --------------------------------------------------- */

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
            if (*s == 'd')
                in_br ? EMIT("0-9") : EMIT("[0-9]");
            else if (*s == 'D' && !in_br)
                EMIT("[^0-9]");
            else if (*s == 'w' && in_br)
                EMIT("[:alnum:]_");
            else if (*s == 's' && in_br)
                EMIT("[:space:]");
            else if (in_br)
                *o++ = *s;   /* "[\.]" means '.' in .NET */
            else
                *o++ = '\\', *o++ = *s;
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
            if (s[1] == '^')
                *o++ = *++s;
            if (s[1] == ']')   /* a leading ']' is a member, not the end */
                *o++ = *++s;
        }
        else if (in_br && *s == ']')
            in_br = 0;
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
        for (t = e; t > arg && t[-1] == ' '; t--)
            ;
        if (n == max || !parse_i64(arg, t - arg, &v[n++]))
            return -1;
        if (!*e)
            return n;
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
        { "bool", "true|false" },
        { "guid", "[0-9a-f]{32}|" GUID_D "|[{]" GUID_D "[}]|[(]" GUID_D "[)]" },
        { "alpha", "[a-z]+" },
        { "double", DECIMAL "(e[+-]?[0-9]+)?" },
        { "float", DECIMAL "(e[+-]?[0-9]+)?" },
        { "decimal", DECIMAL },
        { "datetime", "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                      "([t ]" HH_MM "(:[0-5][0-9]([.][0-9]+)?)?"
                      "(z|[+-]" HH_MM ")?)?" },
        { "required", ".+" },
    };
    constraint_t *c = apr_array_push(pt->cons);
    apr_int64_t v[2];
    int n = arg ? parse_args(arg, v, 2) : 0, is_len;
    size_t i;

    c->re = NULL;
    c->lo = APR_INT64_MIN;
    c->hi = APR_INT64_MAX;
    if (same(name, "regex"))
        return arg && *arg ? compile_regex(p, arg, c)
                           : "constraint 'regex' needs an expression";
    for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
        if (same(name, shapes[i][0]))
            return arg ? apr_psprintf(p, "constraint '%s' takes no argument",
                                      name) : compile_regex(p, shapes[i][1], c);
    c->kind = K_RANGE;
    if (same(name, "int") || same(name, "long")) {
        if (same(name, "int"))
            c->lo = APR_INT32_MIN, c->hi = APR_INT32_MAX;
        return arg ? apr_psprintf(p, "constraint '%s' takes no argument", name)
                   : NULL;
    }
    is_len = same(name, "length") || same(name, "minlength")
             || same(name, "maxlength");
    if (!is_len && !same(name, "min") && !same(name, "max")
        && !same(name, "range"))
        return apr_psprintf(p, "unknown constraint '%s'", name);
    if (is_len)
        c->kind = K_LENGTH, c->lo = 0;
    if ((same(name, "min") || same(name, "minlength")) && n == 1)
        c->lo = v[0];
    else if ((same(name, "max") || same(name, "maxlength")) && n == 1)
        c->hi = v[0];
    else if ((same(name, "range") && n == 2) || (same(name, "length") && n > 0))
        c->lo = v[0], c->hi = v[n - 1];
    else
        n = -1;
    if (n < 0 || (is_len && c->lo < 0) || c->lo > c->hi)
        return apr_psprintf(p, "bad argument for constraint '%s'", name);
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
    if (!n)
        return "empty parameter name";
    pt->name = apr_pstrmemdup(p, b, n);
    if (strpbrk(pt->name, "/{}*"))
        return apr_psprintf(p, "bad parameter name '%s'", pt->name);
    for (b += n; *b == ':';) {
        const char *cname, *arg = NULL, *q;

        n = strcspn(++b, "(:=?");
        if (!n)
            return "empty constraint name";
        cname = apr_pstrmemdup(p, b, n);
        b += n;
        if (*b == '(') {
            /* ASP.NET's rule, so a regex may hold ')' and ':': the argument
             * ends at a ')' that ends the parameter or precedes ':' '=' '?'. */
            for (q = b + 1;; q++) {
                if (!*q)
                    return "unbalanced '(' in a constraint";
                if (*q == ')' && (!q[1] || q[1] == ':' || q[1] == '='
                                  || (q[1] == '?' && !q[2])))
                    break;
            }
            arg = apr_pstrmemdup(p, b + 1, q - b - 1);
            b = q + 1;
        }
        if ((err = add_constraint(p, pt, cname, arg)) != NULL)
            return err;
    }
    if (*b == '?' && !b[1])
        pt->optional = 1;
    else if (*b == '=') {
        pt->def = b + 1;
        if (!*pt->def || pt->def[strlen(pt->def) - 1] == '?')
            return apr_psprintf(p, "parameter '%s' has a bad default value",
                                pt->name);
        if (!part_accepts(p, pt, pt->def, strlen(pt->def)))
            return apr_psprintf(p, "default of parameter '%s' fails its "
                                "constraints", pt->name);
    }
    else if (*b)
        return apr_psprintf(p, "unexpected '%c' in parameter '%s'", *b,
                            pt->name);
    if (pt->catch_all && pt->optional)
        return "a catch-all parameter can't be optional";
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
    if (param)
        q++;
    for (;;) {
        if (!*q || (!param && *q == '/')) {
            if (param)
                return "unbalanced '{'";
            break;
        }
        if ((*q == '{' || *q == '}') && q[1] == *q) {
            buf[n++] = *q;
            q += 2;
            continue;
        }
        if (*q == '}') {
            if (!param)
                return "unbalanced '}'";
            q++;
            break;
        }
        if (*q == '{') {
            if (param)
                return "unescaped '{' inside a parameter";
            break;
        }
        if (*q == '?' && !param)
            return "'?' in a literal";
        buf[n++] = *q++;
    }
    buf[n] = '\0';
    *s = q;
    if (param)
        return parse_param_body(p, buf, pt);
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

        if (omittable && !(simple && (pt->optional || pt->def || pt->catch_all)))
            return apr_psprintf(p, "optional parameter '%s' is followed by a "
                                "required segment", omittable);
        for (j = 0; j < seg->nelts; j++) {
            if (!pt[j].name)
                continue;
            if (j && pt[j - 1].name)
                return "two parameters with nothing between them";
            if (pt[j].catch_all && (seg->nelts > 1 || i < r->segs->nelts - 1))
                return apr_psprintf(p, "catch-all parameter '%s' must be the "
                                    "whole last segment", pt[j].name);
            if (seg->nelts > 1 && pt[j].def)
                return apr_psprintf(p, "parameter '%s' shares its segment, so "
                                    "it can't have a default", pt[j].name);
            /* ASP.NET's one exception: "{name}.{ext?}". */
            if (seg->nelts > 1 && pt[j].optional && (j != seg->nelts - 1
                    || j < 2 || strcmp(pt[j - 1].text, ".")))
                return apr_psprintf(p, "optional parameter '%s' shares its "
                                    "segment, so it must end it, after a '.'",
                                    pt[j].name);
            for (k = 0; k < names->nelts; k++)
                if (same(APR_ARRAY_IDX(names, k, const char *), pt[j].name))
                    return apr_psprintf(p, "parameter '%s' appears twice",
                                        pt[j].name);
            APR_ARRAY_PUSH(names, const char *) = pt[j].name;
        }
        if (simple && (pt->optional || pt->def))
            omittable = pt->name;
    }
    r->nparams = names->nelts;
    return NULL;
}

static const char *parse_template(apr_pool_t *p, const char *t, route_t *r)
{
    const char *err;

    r->segs = apr_array_make(p, 4, sizeof(apr_array_header_t *));
    if (*t == '/')
        t++;
    while (*t) {
        apr_array_header_t *seg = apr_array_make(p, 1, sizeof(part_t));
        while (*t && *t != '/')
            if ((err = parse_part(p, &t, apr_array_push(seg))) != NULL)
                return err;
        if (!seg->nelts)
            return "empty segment";
        APR_ARRAY_PUSH(r->segs, apr_array_header_t *) = seg;
        if (*t == '/')
            t++;    /* so a trailing '/' in the template is ignored */
    }
    return validate(p, r);
}

static const char *parse_methods(apr_pool_t *p, const char *m,
                                 apr_array_header_t *out)
{
    while (m && *m) {
        apr_size_t n;
        char *word;
        int i;

        m += strspn(m, " \t,");
        n = strcspn(m, ",");
        while (n && (m[n - 1] == ' ' || m[n - 1] == '\t'))
            n--;
        if (!n)
            break;
        word = apr_pstrmemdup(p, m, n);
        for (i = 0; word[i]; i++) {
            if (!apr_isalnum(word[i]) && !strchr("!#$%&'*+-.^_`|~", word[i]))
                return apr_psprintf(p, "bad method '%s'", word);
            word[i] = (char)apr_toupper(word[i]);
        }
        push_unique(out, word);
        m += strcspn(m, ",");
    }
    return NULL;
}

/* ---- precedence --------------------------------------------------------- */

/* ASP.NET's digit per segment: lower goes first. */
static int seg_rank(const apr_array_header_t *seg)
{
    const part_t *pt = PARTS(seg);

    if (seg->nelts > 1)
        return 2;
    if (!pt->name)
        return 1;
    if (pt->catch_all)
        return 5;
    if (pt->optional || pt->def)
        return 4;
    return pt->cons->nelts ? 2 : 3;
}

/* A missing segment ranks 0, as in ASP.NET's decimal precedence. */
static int compare(const route_t *a, const route_t *b)
{
    int i, n = a->segs->nelts > b->segs->nelts ? a->segs->nelts : b->segs->nelts;

    for (i = 0; i < n; i++) {
        int ra = i < a->segs->nelts ? seg_rank(SEG(a, i)) : 0;
        int rb = i < b->segs->nelts ? seg_rank(SEG(b, i)) : 0;
        if (ra != rb)
            return ra - rb;
    }
    return 0;
}

/* ---- public API --------------------------------------------------------- */

fa_router_t *fa_router_make(apr_pool_t *p)
{
    fa_router_t *r = apr_pcalloc(p, sizeof(*r));

    r->pool = p;
    r->routes = apr_array_make(p, 8, sizeof(route_t *));
    return r;
}

apr_status_t fa_router_add(fa_router_t *router, const char *template,
                           const char *methods, int function_index,
                           const char **error)
{
    apr_pool_t *p = router->pool;
    route_t *r = apr_pcalloc(p, sizeof(*r)), **slot;
    const char *err;
    int i, n;

    r->index = function_index;
    r->methods = apr_array_make(p, 2, sizeof(const char *));
    err = template ? parse_template(p, template, r) : "no template";
    if (!err)
        err = parse_methods(p, methods, r->methods);
    if (err) {
        char *msg = apr_psprintf(p, "route template '%s': %s",
                                 template ? template : "", err);
        /* One line, whatever bytes the template holds. */
        for (i = 0; msg[i]; i++)
            if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
                msg[i] = '?';
        if (error)
            *error = msg;
        return APR_EINVAL;
    }
    if (r->nparams > router->max_params)
        router->max_params = r->nparams;

    /* Insert after every route that ranks no lower, so ties keep add order. */
    n = router->routes->nelts;
    for (i = 0; i < n; i++)
        if (compare(APR_ARRAY_IDX(router->routes, i, route_t *), r) > 0)
            break;
    apr_array_push(router->routes);
    slot = &APR_ARRAY_IDX(router->routes, i, route_t *);
    memmove(slot + 1, slot, (n - i) * sizeof(route_t *));
    *slot = r;
    return APR_SUCCESS;
}

static int take(apr_pool_t *p, const part_t *pt, const char *s,
                apr_size_t len, value_t *vals, int *nvals)
{
    if (!part_accepts(p, pt, s, len))
        return 0;
    vals[*nvals].part = pt;
    vals[*nvals].s = s;
    vals[*nvals].len = len;
    (*nvals)++;
    return 1;
}

/* Matches parts[0..last] against one path segment the way ASP.NET does:
 * right to left, each literal at its last occurrence that leaves at least
 * one character for the parameter to its right.  No backtracking. */
static int match_parts(apr_pool_t *p, const part_t *parts, int last,
                       const char *s, apr_size_t len, value_t *vals, int *nv)
{
    const part_t *pending = NULL;
    apr_size_t end = len, pend_end = 0, pos;
    int i;

    for (i = last; i >= 0; i--) {
        const part_t *pt = &parts[i];
        if (pt->name) {
            pending = pt;
            pend_end = end;
            continue;
        }
        if (pending) {
            if (end < pt->len + 1)
                return 0;
            for (pos = end - 1 - pt->len; !same_n(s + pos, pt->text, pt->len); pos--)
                if (!pos)
                    return 0;
            if (!take(p, pending, s + pos + pt->len, pend_end - pos - pt->len,
                      vals, nv))
                return 0;
            pending = NULL;
        }
        else {
            if (end < pt->len || !same_n(s + end - pt->len, pt->text, pt->len))
                return 0;
            pos = end - pt->len;
        }
        end = pos;
    }
    if (pending)
        return end > 0 && take(p, pending, s, end, vals, nv);
    return end == 0;
}

static int match_segment(apr_pool_t *p, const apr_array_header_t *seg,
                         const char *s, apr_size_t len, value_t *vals, int *nv)
{
    const part_t *pt = PARTS(seg);
    int n = seg->nelts, saved = *nv;

    if (match_parts(p, pt, n - 1, s, len, vals, nv))
        return 1;
    *nv = saved;
    /* "{name}.{ext?}": without a value for ext, the '.' goes too. */
    if (n > 2 && pt[n - 1].optional && !(len && s[len - 1] == '.'))
        return match_parts(p, pt, n - 3, s, len, vals, nv);
    return 0;
}

/** A path segment: where it starts and how long it is. */
typedef struct {
    const char *s;
    apr_size_t len;
} span_t;

static int match_route(apr_pool_t *p, const route_t *r, const char *path_end,
                       const span_t *segs, int nsegs, value_t *vals, int *nv)
{
    int i;

    for (i = 0; i < r->segs->nelts; i++) {
        const apr_array_header_t *seg = SEG(r, i);
        const part_t *pt = PARTS(seg);

        if (pt->catch_all) {
            /* Raw remainder of the path, slashes (even a trailing one) kept. */
            if (i < nsegs)
                return take(p, pt, segs[i].s, path_end - segs[i].s, vals, nv);
            return !pt->def || take(p, pt, pt->def, strlen(pt->def), vals, nv);
        }
        if (i >= nsegs) {
            if (seg->nelts > 1 || !(pt->optional || pt->def))
                return 0;
            if (pt->def && !take(p, pt, pt->def, strlen(pt->def), vals, nv))
                return 0;
            continue;
        }
        if (!match_segment(p, seg, segs[i].s, segs[i].len, vals, nv))
            return 0;
    }
    return i >= nsegs;
}

static int method_allowed(const route_t *r, const char *method)
{
    int i;

    if (!r->methods->nelts)
        return 1;
    for (i = 0; i < r->methods->nelts; i++) {
        const char *m = APR_ARRAY_IDX(r->methods, i, const char *);
        if (same(m, method) || (!strcmp(m, "GET") && same(method, "HEAD")))
            return 1;
    }
    return 0;
}

fa_route_result_e fa_router_match(const fa_router_t *router, apr_pool_t *p,
                                  const char *path, const char *method,
                                  int *function_index, apr_table_t *params,
                                  const char **allow)
{
    apr_array_header_t *allowed = NULL;
    apr_size_t full, len, start, k;
    span_t *segs;
    value_t *vals;
    int i, j, nsegs = 0, nv;

    if (!path)
        path = "";
    if (!method)
        method = "";
    full = len = strlen(path);
    if (len && path[len - 1] == '/')
        len--;    /* "hello/" is "hello" */
    for (k = 0, nsegs = 1; k < len; k++)
        nsegs += path[k] == '/';
    segs = apr_palloc(p, nsegs * sizeof(span_t));
    nsegs = 0;
    for (start = 0, k = 0; len && k <= len; k++)
        if (k == len || path[k] == '/') {
            segs[nsegs].s = path + start;
            segs[nsegs++].len = k - start;
            start = k + 1;
        }
    vals = apr_palloc(p, (router->max_params + 1) * sizeof(value_t));

    for (i = 0; i < router->routes->nelts; i++) {
        const route_t *r = APR_ARRAY_IDX(router->routes, i, const route_t *);

        nv = 0;
        if (!match_route(p, r, path + full, segs, nsegs, vals, &nv))
            continue;
        if (!method_allowed(r, method)) {
            if (!allowed)
                allowed = apr_array_make(p, 4, sizeof(const char *));
            for (j = 0; j < r->methods->nelts; j++)
                push_unique(allowed, APR_ARRAY_IDX(r->methods, j, const char *));
            continue;
        }
        if (function_index)
            *function_index = r->index;
        for (j = 0; params && j < nv; j++)
            apr_table_set(params, vals[j].part->name,
                          apr_pstrmemdup(p, vals[j].s, vals[j].len));
        return FA_ROUTE_MATCHED;
    }
    if (!allowed)
        return FA_ROUTE_NOT_FOUND;
    if (allow) {
        const char *list = APR_ARRAY_IDX(allowed, 0, const char *);
        for (j = 1; j < allowed->nelts; j++)
            list = apr_pstrcat(p, list, ", ",
                               APR_ARRAY_IDX(allowed, j, const char *), NULL);
        *allow = list;
    }
    return FA_ROUTE_METHOD_NOT_ALLOWED;
}
