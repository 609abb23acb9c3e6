# SPDX-License-Identifier: Apache-2.0
"""Abstract interfaces, shaped like the real azure.functions._abc.

They are abstract on purpose: code written against the real package
subclasses them (test doubles, middleware), and the worker supplies the
concrete Context and Out, exactly as the Azure Python worker does.
"""

from __future__ import annotations  # annotations stay text: no typing import

import abc
import collections.abc
import types


class Out(abc.ABC):
    """An output binding the function sets instead of returning a value.

    Subscriptable as typing.Generic is (`func.Out[func.HttpResponse]` in a
    signature), without importing typing.
    """

    __class_getitem__ = classmethod(types.GenericAlias)

    @abc.abstractmethod
    def set(self, val: object) -> None:
        """Set the value of the output binding."""

    @abc.abstractmethod
    def get(self) -> object:
        """Get the value of the output binding."""


class TraceContext(abc.ABC):
    """W3C trace context of the invocation."""

    @property
    @abc.abstractmethod
    def trace_parent(self) -> str:
        """The `traceparent` value."""

    @property
    @abc.abstractmethod
    def trace_state(self) -> str:
        """The `tracestate` value."""

    @property
    @abc.abstractmethod
    def attributes(self) -> dict[str, str]:
        """Extra trace attributes."""


class RetryContext(abc.ABC):
    """Retry state of the invocation (HTTP functions are never retried)."""

    @property
    @abc.abstractmethod
    def retry_count(self) -> int:
        """Current retry count."""

    @property
    @abc.abstractmethod
    def max_retry_count(self) -> int:
        """Maximum retry count."""

    @property
    @abc.abstractmethod
    def exception(self) -> object:
        """The exception that caused the retry."""


class Context(abc.ABC):
    """Function invocation context."""

    @property
    @abc.abstractmethod
    def invocation_id(self) -> str:
        """Invocation ID."""

    @property
    @abc.abstractmethod
    def thread_local_storage(self) -> object:
        """Per-thread storage; setting its `invocation_id` in a thread the
        function started makes that thread's log lines carry the invocation.
        """

    @property
    @abc.abstractmethod
    def function_name(self) -> str:
        """Function name."""

    @property
    @abc.abstractmethod
    def function_directory(self) -> str:
        """Function directory."""

    @property
    @abc.abstractmethod
    def trace_context(self) -> TraceContext:
        """Context for distributed tracing."""

    @property
    @abc.abstractmethod
    def retry_context(self) -> RetryContext | None:
        """Context for retries."""


class HttpRequest(abc.ABC):
    """HTTP request object."""

    @property
    @abc.abstractmethod
    def method(self) -> str:
        """Request method, upper case."""

    @property
    @abc.abstractmethod
    def url(self) -> str:
        """Full request URL."""

    @property
    @abc.abstractmethod
    def headers(self) -> collections.abc.Mapping[str, str]:
        """Request headers, case-insensitive."""

    @property
    @abc.abstractmethod
    def params(self) -> collections.abc.Mapping[str, str]:
        """Query string parameters."""

    @property
    @abc.abstractmethod
    def route_params(self) -> collections.abc.Mapping[str, str]:
        """Route template parameters."""

    @abc.abstractmethod
    def get_body(self) -> bytes:
        """Request body."""

    @abc.abstractmethod
    def get_json(self) -> object:
        """Request body decoded as JSON; ValueError when it is not JSON."""


class HttpResponse(abc.ABC):
    """HTTP response object."""

    @property
    @abc.abstractmethod
    def status_code(self) -> int:
        """Status code."""

    @property
    @abc.abstractmethod
    def mimetype(self) -> str:
        """MIME type."""

    @property
    @abc.abstractmethod
    def charset(self) -> str:
        """Text encoding of the body."""

    @property
    @abc.abstractmethod
    def headers(self) -> collections.abc.MutableMapping[str, str]:
        """Response headers."""

    @abc.abstractmethod
    def get_body(self) -> bytes:
        """Response body."""
