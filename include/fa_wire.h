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
 * (its body may follow in REQUEST_CHUNK frames), a response carries flags,
 * and a streamed one is followed by RESPONSE_CHUNK frames. */
#define FA_WIRE_VERSION 4
#define FA_WIRE_HEADER_LEN 8
/** Longest single string (URL, header value, ...) other than a body. */
#define FA_WIRE_MAX_STRING (64 * 1024)
/** Most headers or route values in one frame. */
#define FA_WIRE_MAX_FIELDS 1000
/** Largest chunk of body in a REQUEST_CHUNK or RESPONSE_CHUNK frame: what
 * a worker buffers of a streamed request body at most (beside the socket's
 * own buffer), and what a child holds of a streamed response at once. */
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
    FA_FRAME_REQUEST = 1,   /* child -> worker: one invocation */
    FA_FRAME_RESPONSE = 2,  /* worker -> child: its result */
    FA_FRAME_TABLE_GET = 3, /* child -> worker: send me the function table */
    FA_FRAME_TABLE = 4,     /* worker -> child: the table, JSON text */
    FA_FRAME_REQUEST_CHUNK = 5, /* child -> worker: more of a streamed
                                 * request's body (FA_REQUEST_BODY_FOLLOWS) */
    /* worker -> child: a piece of a streamed response's body.  Payload: a
     * u32 of FA_CHUNK_* flags, then the bytes (at most FA_WIRE_MAX_CHUNK).
     * No bytes and no flag: the body is complete.  FA_CHUNK_ABORT (no
     * bytes): the function failed mid-stream; the child cuts the client's
     * response short (no final chunk) and keeps the worker connection.  A
     * worker connection closed mid-stream is the same cut, connection lost. */
    FA_FRAME_RESPONSE_CHUNK = 6
} fa_frame_type_e;

/** The types fa_wire_parse_header knows. */
#define FA_WIRE_KNOWN_TYPES                                                    \
    ((1u << FA_FRAME_REQUEST) | (1u << FA_FRAME_RESPONSE)                      \
     | (1u << FA_FRAME_TABLE_GET) | (1u << FA_FRAME_TABLE)                     \
     | (1u << FA_FRAME_REQUEST_CHUNK) | (1u << FA_FRAME_RESPONSE_CHUNK))

/** fa_response_t.flags: the body field is the first part of the body, and
 * RESPONSE_CHUNK frames follow, up to an empty one. */
#define FA_RESPONSE_STREAMED 0x1u
/** RESPONSE_CHUNK flags: the stream ends here, cut short. */
#define FA_CHUNK_ABORT 0x1u
/** A chunk frame's header and flags, before its bytes. */
#define FA_WIRE_CHUNK_HEAD_LEN (FA_WIRE_HEADER_LEN + 4)

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
    apr_uint32_t flags;      /* FA_RESPONSE_*: on the wire after the pid */
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

/** Writes the FA_WIRE_CHUNK_HEAD_LEN bytes that go before @a len
 * (<= FA_WIRE_MAX_CHUNK) body bytes of a RESPONSE_CHUNK frame. */
void fa_wire_chunk_head(unsigned char *head, apr_size_t len,
                        apr_uint32_t flags);

/** Decodes a RESPONSE_CHUNK payload: *data points into @a payload.
 * APR_EGENERAL when it is shorter than its flags, longer than
 * FA_WIRE_MAX_CHUNK of bytes, has an unknown flag, or bytes with ABORT. */
apr_status_t fa_wire_decode_chunk(const char *payload, apr_size_t len,
                                  apr_uint32_t *flags, const char **data,
                                  apr_size_t *data_len);

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
