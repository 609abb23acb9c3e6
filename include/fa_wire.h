/**
 * fa_wire: the framing between httpd children and worker processes.
 *
 * Every frame is an 8-byte header followed by a payload:
 *   byte 0..1  magic 'F' 'A'
 *   byte 2     FA_WIRE_VERSION
 *   byte 3     frame type (fa_frame_type_e)
 *   byte 4..7  payload length, big-endian, checked against a limit before
 *              anything is allocated
 * Strings in a payload are a big-endian u32 length, the bytes, and a NUL
 * (not counted), so a decoder can hand out pointers into the payload.
 */
#ifndef FA_WIRE_H
#define FA_WIRE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <sys/uio.h>

#define FA_WIRE_VERSION 1
#define FA_WIRE_HEADER_LEN 8
/** Longest single string (URL, header value, ...) other than a body. */
#define FA_WIRE_MAX_STRING (64 * 1024)
/** Most headers or route values in one frame. */
#define FA_WIRE_MAX_FIELDS 1000

typedef enum {
    FA_FRAME_REQUEST = 1,   /* child -> worker: one invocation */
    FA_FRAME_RESPONSE = 2,  /* worker -> child: its result */
    FA_FRAME_TABLE_GET = 3, /* child -> worker: send me the function table */
    FA_FRAME_TABLE = 4      /* worker -> child: the table, JSON text */
} fa_frame_type_e;

typedef struct fa_request {
    apr_uint32_t function_index;
    const char *invocation_id;
    const char *method;
    const char *url;            /* full URL, scheme://host/path?query */
    apr_table_t *headers;       /* duplicates kept, order kept */
    apr_table_t *route_params;
    const char *body;           /* may hold NULs */
    apr_size_t body_len;
} fa_request_t;

typedef struct fa_response {
    int status;                 /* 100..999 */
    apr_table_t *headers;       /* several Set-Cookie stay separate */
    const char *body;
    apr_size_t body_len;
} fa_response_t;

/**
 * Checks an 8-byte header: magic, version, a known type, and
 * payload length <= max_payload.  APR_EGENERAL on bad magic/version/type,
 * APR_ENOSPC when the length is over the limit.
 */
apr_status_t fa_wire_parse_header(const unsigned char *hdr,
                                  apr_size_t max_payload,
                                  fa_frame_type_e *type,
                                  apr_size_t *payload_len);

/** Writes an 8-byte header for @a type and @a payload_len into @a hdr. */
void fa_wire_make_header(unsigned char *hdr, fa_frame_type_e type,
                         apr_size_t payload_len);

/**
 * Encodes a request or response frame in two parts so the body is never
 * copied: *head (frame header + every field up to the body's length
 * prefix) then the body bytes, then a trailing NUL byte the caller sends
 * as the last byte of the frame (body_len + 1 counted in the frame
 * length).  Concretely the caller writes: head[0..head_len), body[0..body_len),
 * "\0".
 */
apr_status_t fa_wire_encode_request(apr_pool_t *p, const fa_request_t *req,
                                    char **head, apr_size_t *head_len);
apr_status_t fa_wire_encode_response(apr_pool_t *p, const fa_response_t *resp,
                                     char **head, apr_size_t *head_len);

/**
 * Decodes a payload (without the 8-byte header).  Pointers in the result
 * point into @a payload, which must outlive it; tables are made in @a p.
 * APR_EGENERAL on any malformed, truncated or over-long field, with nothing
 * read past payload + len.
 */
apr_status_t fa_wire_decode_request(apr_pool_t *p, const char *payload,
                                    apr_size_t len, fa_request_t *req);
apr_status_t fa_wire_decode_response(apr_pool_t *p, const char *payload,
                                     apr_size_t len, fa_response_t *resp);

/** The three pieces of an encoded request or response frame: @a head from
 * the encoder, the body, and the final NUL. */
void fa_wire_frame_iov(struct iovec vec[3], const char *head,
                       apr_size_t head_len, const char *body,
                       apr_size_t body_len);

/**
 * Writes all of @a vec (a frame) to socket @a fd, whether it is blocking
 * or not (on EAGAIN it waits until writable), without SIGPIPE.  Modifies
 * @a vec.  Returns the errno of a failed write.
 */
apr_status_t fa_wire_send(int fd, struct iovec *vec, int nvec);

#endif
