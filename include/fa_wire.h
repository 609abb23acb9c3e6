/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_wire: the framing between httpd children and worker processes.
 *
 * Runs in both: an httpd child encodes requests and decodes responses, a
 * worker's I/O thread reads requests and encodes responses.  A pure codec,
 * as httpd's util_fcgi is: bytes in, bytes out, no sockets (those are
 * fa_io's).  Encoded heads and decoded tables live in the caller's pool;
 * a decoded frame points into the payload it was decoded from, so the
 * payload's owner decides how long it lives.
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

/* 2: a response carries the pid of the worker that made it; 3: a request
 * carries its function's name beside its index; 4: a request carries flags
 * (its body may follow in REQUEST_CHUNK frames). */
#define FA_WIRE_VERSION 4
#define FA_WIRE_HEADER_LEN 8
/** Longest single string (URL, header value, ...) other than a body. */
#define FA_WIRE_MAX_STRING (64 * 1024)
/** Most headers or route values in one frame. */
#define FA_WIRE_MAX_FIELDS 1000
/** Largest REQUEST_CHUNK payload: what a worker buffers of a streamed body
 * at most, beside the socket's own buffer. */
#define FA_WIRE_MAX_CHUNK (256 * 1024)

/** Request flag: the body field is only the first part of the body; the
 * rest follows as FA_FRAME_REQUEST_CHUNK frames, each a payload of raw body
 * bytes (1..FA_WIRE_MAX_CHUNK), ended by one with an empty payload.  A
 * stream the child cannot finish (the client sent too much, or went away)
 * is aborted by closing the connection: the worker sees the end of stream
 * before the empty chunk.  A connection that carried a streamed request is
 * closed by both sides after its response, never reused, so whatever the
 * function left unread is never mistaken for the next frame. */
#define FA_REQUEST_BODY_FOLLOWS 0x1u

typedef enum {
    FA_FRAME_REQUEST = 1,      /* child -> worker: one invocation */
    FA_FRAME_RESPONSE = 2,     /* worker -> child: its result */
    FA_FRAME_TABLE_GET = 3,    /* child -> worker: send me the function table */
    FA_FRAME_TABLE = 4,        /* worker -> child: the table, JSON text */
    FA_FRAME_REQUEST_CHUNK = 5 /* child -> worker: more of a streamed
                                * request's body (FA_REQUEST_BODY_FOLLOWS) */
} fa_frame_type_e;

typedef struct fa_request {
    apr_uint32_t function_index;
    /* The name the child routed to ("" or NULL: none given).  During a
     * reload a child's table and a worker's may differ; the worker trusts
     * the name, never an index that may now be another function. */
    const char *function_name;
    apr_uint32_t flags; /* FA_REQUEST_BODY_FOLLOWS; on the wire after the
                         * name */
    const char *invocation_id;
    const char *method;
    const char *url;      /* full URL, scheme://host/path?query */
    apr_table_t *headers; /* duplicates kept, order kept */
    apr_table_t *route_params;
    const char *body; /* may hold NULs */
    apr_size_t body_len;
} fa_request_t;

typedef struct fa_response {
    int status;           /* 100..999 */
    apr_table_t *headers; /* several Set-Cookie stay separate */
    const char *body;
    apr_size_t body_len;
    apr_uint32_t worker_pid; /* of the worker that answers: on the wire
                              * after the status; for the access log */
} fa_response_t;

/**
 * Checks an 8-byte header: magic, version, a known type, and
 * payload length <= max_payload.  APR_EGENERAL on bad magic/version/type,
 * APR_ENOSPC when the length is over the limit.
 */
apr_status_t fa_wire_parse_header(const unsigned char *hdr,
                                  apr_size_t max_payload, fa_frame_type_e *type,
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

/** An incremental frame reader: bytes in, whole frames out.  The httpd
 * child and the worker's I/O thread both read frames with it.  Owned by
 * whoever reads the stream; one reader a stream. */
typedef struct fa_wire_reader {
    apr_size_t max_payload;
    unsigned int types; /* accepted types: bit (1u << type) */
    unsigned char hdr[FA_WIRE_HEADER_LEN];
    apr_size_t hdr_have;
    fa_frame_type_e type;
    char *payload; /* malloc'd: bodies can be 100 MB */
    apr_size_t payload_len, payload_have;
} fa_wire_reader_t;

#define FA_WIRE_TYPE_BIT(t) (1u << (t))

void fa_wire_reader_init(fa_wire_reader_t *r, apr_size_t max_payload,
                         unsigned int types);

/** Consumes up to @a len bytes of @a data, never past the end of the
 * current frame; *used says how many.
 * APR_INCOMPLETE: more bytes are needed.  APR_SUCCESS: a frame is complete
 * (take it with fa_wire_reader_take).
 * APR_EGENERAL (bad magic/version/type, or a type not in @a types),
 * APR_ENOSPC (payload over max_payload), APR_ENOMEM: the stream is
 * unusable; nothing is allocated for a refused header. */
apr_status_t fa_wire_reader_feed(fa_wire_reader_t *r, const char *data,
                                 apr_size_t len, apr_size_t *used);

/** Once the header is in and payload bytes are missing: where the next
 * payload bytes go and how many are missing (*missing), so a large body is
 * read straight into place.  NULL (and *missing 0) otherwise. */
char *fa_wire_reader_room(fa_wire_reader_t *r, apr_size_t *missing);

/** Counts @a n bytes written into the room; APR_SUCCESS when the frame is
 * complete, else APR_INCOMPLETE (APR_EINVAL, nothing counted, if @a n is
 * more than was missing). */
apr_status_t fa_wire_reader_filled(fa_wire_reader_t *r, apr_size_t n);

/** Hands over the complete frame: *payload is malloc'd and the caller's
 * (free() it; never NULL, even for an empty payload); the reader is ready
 * for the next frame. */
void fa_wire_reader_take(fa_wire_reader_t *r, fa_frame_type_e *type,
                         char **payload, apr_size_t *len);

/** Whether no byte of a frame has been read since the last take: an end of
 * stream here is a clean close. */
int fa_wire_reader_idle(const fa_wire_reader_t *r);

/** Frees a partial frame; the reader can be dropped or reused. */
void fa_wire_reader_clear(fa_wire_reader_t *r);

#endif
