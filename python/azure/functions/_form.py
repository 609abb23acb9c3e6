# SPDX-License-Identifier: Apache-2.0
"""Form bodies: application/x-www-form-urlencoded and multipart/form-data.

A small parser of our own rather than the `cgi` module (deprecated, removed
in 3.13) or werkzeug (what the real package vendors): request bodies are
already complete in memory, so a split on the boundary is all it takes.
Malformed input never raises; whatever parsed cleanly is kept.
"""

# email and shutil are imported where a form is parsed or a file saved:
# most functions never read a form, and workers start faster without them.
import collections.abc
import io
import typing
import urllib.parse

_FORM_URLENCODED = 'application/x-www-form-urlencoded'
_FORM_MULTIPART = 'multipart/form-data'


class ImmutableMultiDict(collections.abc.Mapping):
    """Read-only mapping where a key may carry several values.

    `d[key]` and `d.get(key)` give the first value, `d.getlist(key)` all of
    them, like werkzeug's class of the same name that the real package uses.
    """

    def __init__(self, pairs: typing.Iterable[tuple] = ()) -> None:
        self._lists: typing.Dict[str, list] = {}
        for key, value in pairs:
            self._lists.setdefault(key, []).append(value)

    def __getitem__(self, key):
        return self._lists[key][0]

    def __iter__(self):
        return iter(self._lists)

    def __len__(self):
        return len(self._lists)

    def get(self, key, default=None, type=None):
        """First value of `key`, converted by `type` if given (a failed
        conversion yields `default`, as in werkzeug)."""
        try:
            value = self._lists[key][0]
        except KeyError:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    def getlist(self, key) -> list:
        return list(self._lists.get(key, ()))

    def to_dict(self, flat: bool = True) -> dict:
        if flat:
            return {k: v[0] for k, v in self._lists.items()}
        return {k: list(v) for k, v in self._lists.items()}

    def __repr__(self):
        return f'{type(self).__name__}({[(k, v) for k, vs in self._lists.items() for v in vs]!r})'


class FileStorage:
    """An uploaded file: `filename`, `name`, `content_type`, `stream`.

    Unknown attributes (`read`, `seek`, `readline`, ...) are those of the
    stream, as with werkzeug's FileStorage.
    """

    def __init__(self, stream: typing.BinaryIO, filename: typing.Optional[str],
                 name: typing.Optional[str], content_type: typing.Optional[str],
                 headers: typing.Mapping[str, str]) -> None:
        self.stream = stream
        self.filename = filename
        self.name = name
        self.content_type = content_type
        self.headers = headers

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower case."""
        return (self.content_type or '').split(';', 1)[0].strip().lower()

    @property
    def content_length(self) -> int:
        return len(self.stream.getbuffer())

    def save(self, dst, buffer_size: int = 16384) -> None:
        import shutil
        """Write the file to a path or a binary file object."""
        self.stream.seek(0)
        if isinstance(dst, (str, bytes)) or hasattr(dst, '__fspath__'):
            with open(dst, 'wb') as f:
                shutil.copyfileobj(self.stream, f, buffer_size)
        else:
            shutil.copyfileobj(self.stream, dst, buffer_size)

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def __bool__(self):
        return bool(self.filename)

    def __repr__(self):
        return f'<FileStorage: {self.filename!r} ({self.content_type!r})>'


def _header(name: str, value: str) -> 'email.message.Message':  # noqa: F821 (imported in it)
    import email.message
    # email.message does the RFC 2045/2231 parameter parsing (quoting,
    # filename*=utf-8''...) that we would otherwise have to re-implement.
    msg = email.message.Message()
    msg[name] = value
    return msg


def parse_form(body: bytes, content_type: str
               ) -> typing.Tuple[ImmutableMultiDict, ImmutableMultiDict]:
    """Return (form, files) for a request body; both empty for other types."""
    msg = _header('Content-Type', content_type or 'application/octet-stream')
    mimetype = msg.get_content_type()
    charset = msg.get_content_charset() or 'utf-8'
    if mimetype == _FORM_URLENCODED:
        return _parse_urlencoded(body, charset), ImmutableMultiDict()
    if mimetype == _FORM_MULTIPART:
        boundary = msg.get_param('boundary')
        if isinstance(boundary, str) and boundary:
            return _parse_multipart(body, boundary.encode('latin-1', 'replace'), charset)
    return ImmutableMultiDict(), ImmutableMultiDict()


def _decode(raw: bytes, charset: str) -> str:
    try:
        return raw.decode(charset, 'replace')
    except LookupError:
        return raw.decode('utf-8', 'replace')


def _parse_urlencoded(body: bytes, charset: str) -> ImmutableMultiDict:
    # latin-1 maps bytes to characters one to one, so raw bytes and
    # percent-escapes both come back as the original bytes, to be decoded
    # with the declared charset.
    pairs = urllib.parse.parse_qsl(body.decode('latin-1'), keep_blank_values=True,
                                   encoding='latin-1')
    return ImmutableMultiDict((_decode(k.encode('latin-1'), charset),
                               _decode(v.encode('latin-1'), charset)) for k, v in pairs)


def _parse_multipart(body: bytes, boundary: bytes, charset: str):
    form: list = []
    files: list = []
    delimiter = b'--' + boundary
    separator = b'\r\n' + delimiter
    pos = body.find(delimiter)
    if pos < 0:
        return ImmutableMultiDict(), ImmutableMultiDict()
    pos += len(delimiter)
    while not body.startswith(b'--', pos):
        eol = body.find(b'\r\n', pos)
        if eol < 0:
            break
        end = body.find(separator, eol + 2)
        if end < 0:
            break
        _add_part(body[eol + 2:end], charset, form, files)
        pos = end + len(separator)
    return ImmutableMultiDict(form), ImmutableMultiDict(files)


def _add_part(part: bytes, charset: str, form: list, files: list) -> None:
    import email.utils
    if part.startswith(b'\r\n'):
        raw_headers, content = b'', part[2:]
    else:
        head_end = part.find(b'\r\n\r\n')
        if head_end < 0:
            return
        raw_headers, content = part[:head_end], part[head_end + 4:]
    headers = email.message.Message()
    for line in raw_headers.split(b'\r\n'):
        name, colon, value = line.decode('utf-8', 'replace').partition(':')
        if colon:
            headers[name.strip()] = value.strip()
    name = headers.get_param('name', header='content-disposition')
    if name is None:
        return
    name = email.utils.collapse_rfc2231_value(name)
    # A `filename` parameter (even empty: no file chosen) makes it a file;
    # email.message folds RFC 2231 `filename*` into `filename`.
    if headers.get_param('filename', header='content-disposition') is not None:
        files.append((name, FileStorage(io.BytesIO(content), headers.get_filename(''), name,
                                        headers.get('Content-Type'), dict(headers.items()))))
    else:
        form.append((name, _decode(content, headers.get_content_charset() or charset)))
