# SPDX-License-Identifier: Apache-2.0
"""What non-HTTP triggers and bindings hand a function, as the real package
names them: enough to annotate with, construct (tests, the timer runner)
and read.  Constructors take the real package's keyword arguments.
"""

import collections
import io
import json


def _json(body):
    return json.loads(body.decode('utf-8') if isinstance(body, (bytes, bytearray)) else body)


class TimerRequest:
    """What a timer trigger passes: whether this run is late."""

    def __init__(self, *, past_due: bool = False, schedule_status: dict = None,
                 schedule: dict = None) -> None:
        self._past_due = past_due
        self._schedule_status = schedule_status or {}
        self._schedule = schedule or {}

    @property
    def past_due(self) -> bool:
        return self._past_due

    @property
    def schedule_status(self) -> dict:
        return self._schedule_status

    @property
    def schedule(self) -> dict:
        return self._schedule


class WarmUpContext:
    """What a warm-up trigger passes (nothing to read)."""


class InputStream(io.BufferedIOBase):
    """A blob, read-only."""

    def __init__(self, *, data: bytes, name: str = None, uri: str = None, length: int = None,
                 blob_properties: dict = None, metadata: dict = None) -> None:
        super().__init__()
        self._io = io.BytesIO(data)
        self._name, self._uri = name, uri
        self._length = len(data) if length is None else length
        self._blob_properties, self._metadata = blob_properties, metadata

    name = property(lambda self: self._name)
    uri = property(lambda self: self._uri)
    length = property(lambda self: self._length)
    blob_properties = property(lambda self: self._blob_properties)
    metadata = property(lambda self: self._metadata)

    def read(self, size: int = -1) -> bytes:
        return self._io.read(size)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


class _Message:
    """A message with a body and named properties (None when not given)."""
    _PROPERTIES = ()

    def __init__(self, *, body=None, **properties) -> None:
        unknown = set(properties) - set(self._PROPERTIES)
        if unknown:
            raise TypeError(f'{type(self).__name__}() got unexpected keyword arguments '
                            f'{", ".join(sorted(unknown))}')
        self._body = body.encode('utf-8') if isinstance(body, str) else body
        self._properties = properties

    def __getattr__(self, name):
        if name in type(self)._PROPERTIES:
            return self._properties.get(name)
        raise AttributeError(name)

    def get_body(self) -> bytes:
        return self._body

    def get_json(self):
        return _json(self._body)

    def __repr__(self):
        return f'<azure.{type(self).__name__} at 0x{id(self):0x}>'


class QueueMessage(_Message):
    """A Storage queue message."""
    _PROPERTIES = ('id', 'dequeue_count', 'expiration_time', 'insertion_time',
                   'time_next_visible', 'pop_receipt')


class EventHubEvent(_Message):
    """An Event Hubs event."""
    _PROPERTIES = ('trigger_metadata', 'enqueued_time', 'partition_key', 'sequence_number',
                   'offset', 'iothub_metadata', 'metadata')


class ServiceBusMessage(_Message):
    """A Service Bus message."""
    _PROPERTIES = ('trigger_metadata', 'application_properties', 'content_type',
                   'correlation_id', 'dead_letter_error_description', 'dead_letter_reason',
                   'dead_letter_source', 'delivery_count', 'enqueued_sequence_number',
                   'enqueued_time_utc', 'expires_at_utc', 'label', 'locked_until', 'lock_token',
                   'message_id', 'partition_key', 'reply_to', 'reply_to_session_id',
                   'scheduled_enqueue_time_utc', 'sequence_number', 'session_id', 'state',
                   'subject', 'time_to_live', 'to', 'transaction_partition_key',
                   'user_properties', 'metadata')


class KafkaEvent(_Message):
    """A Kafka event."""
    _PROPERTIES = ('trigger_metadata', 'key', 'offset', 'partition', 'topic', 'timestamp',
                   'headers')


class _JsonDict(collections.UserDict):
    @classmethod
    def from_json(cls, json_data: str):
        return cls.from_dict(json.loads(json_data))

    @classmethod
    def from_dict(cls, dct: dict):
        return cls(dct)

    def to_json(self) -> str:
        return json.dumps(dict(self))

    def to_dict(self) -> dict:
        return dict(self)


class Document(_JsonDict):
    """A Cosmos DB document."""


class DocumentList(collections.UserList):
    """Cosmos DB documents."""


class SqlRow(_JsonDict):
    """A row of a SQL table."""


class SqlRowList(collections.UserList):
    """Rows of a SQL table."""


class _GridEvent:
    _FIELDS = ('id', 'data', 'topic', 'subject', 'event_type', 'event_time', 'data_version')

    def __init__(self, **fields) -> None:
        missing = [f for f in self._FIELDS if f not in fields and f != 'topic']
        if missing or set(fields) - set(self._FIELDS):
            raise TypeError(f'{type(self).__name__}() takes keyword arguments '
                            f'{", ".join(self._FIELDS)}')
        self.__dict__.update({f'_{k}': v for k, v in fields.items()})

    id = property(lambda self: self._id)
    topic = property(lambda self: getattr(self, '_topic', None))
    subject = property(lambda self: self._subject)
    event_type = property(lambda self: self._event_type)
    event_time = property(lambda self: self._event_time)
    data_version = property(lambda self: self._data_version)

    def get_json(self):
        return self._data


class EventGridEvent(_GridEvent):
    """An Event Grid event."""


class EventGridOutputEvent(_GridEvent):
    """An Event Grid event a function sends."""
    _FIELDS = ('id', 'data', 'subject', 'event_type', 'event_time', 'data_version')


class OrchestrationContext:
    """A Durable Functions orchestration's context (its JSON body)."""

    def __init__(self, body) -> None:
        self._body = body.decode('utf-8') if isinstance(body, bytes) else body

    @property
    def body(self) -> str:
        return self._body


class EntityContext(OrchestrationContext):
    """A Durable Functions entity's context."""


__all__ = ('Document', 'DocumentList', 'EntityContext', 'EventGridEvent', 'EventGridOutputEvent',
           'EventHubEvent', 'InputStream', 'KafkaEvent', 'OrchestrationContext', 'QueueMessage',
           'ServiceBusMessage', 'SqlRow', 'SqlRowList', 'TimerRequest', 'WarmUpContext')
