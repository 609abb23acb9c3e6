# SPDX-License-Identifier: Apache-2.0
"""What every binding shares: the enums of their settings, the default
script file, and Binding (a trigger, an input or an output: its type, its
name, and its settings as attributes, as the real package keeps them)."""

from .utils import StringifyEnum, to_enum

__all__ = ('SCRIPT_FILE_NAME', 'AccessRights', 'AuthLevel', 'Binding', 'BindingDirection',
           'BlobSource', 'Cardinality', 'DataType', 'InputBinding', 'OutputBinding',
           'StringifyEnum', 'Trigger')

# the file the worker indexes a v2 app from
SCRIPT_FILE_NAME = 'function_app.py'


class AuthLevel(StringifyEnum):
    """Which key, if any, a request must present."""
    FUNCTION = 'function'
    ANONYMOUS = 'anonymous'
    ADMIN = 'admin'


class DataType(StringifyEnum):
    """How the host hands a binding's value to the function."""
    UNDEFINED = 0
    STRING = 1
    BINARY = 2
    STREAM = 3


class Cardinality(StringifyEnum):
    """One event an invocation or a batch."""
    ONE = 'one'
    MANY = 'many'


class AccessRights(StringifyEnum):
    """Service Bus connection rights."""
    MANAGE = 'manage'
    LISTEN = 'listen'


class BlobSource(StringifyEnum):
    """How a blob trigger learns of new blobs."""
    EVENT_GRID = 'EventGrid'
    LOGS_AND_CONTAINER_SCAN = 'LogsAndContainerScan'


class BindingDirection(StringifyEnum):
    IN = 0
    OUT = 1
    INOUT = 2


# settings given as strings that the real package turns into its enums
_ENUM_SETTINGS = {'data_type': DataType, 'cardinality': Cardinality,
                  'access_rights': AccessRights}


def _camel(name: str) -> str:
    head, *rest = name.split('_')
    return head + ''.join(part[:1].upper() + part[1:] for part in rest)


class Binding:
    """A binding of a function: `type` (function.json's), `name` (the
    argument, or '$return'), `direction`, and every other setting as an
    attribute named as given (`init_params` lists them, in order)."""
    type: str = None
    direction = BindingDirection.IN

    def __init__(self, name: str, data_type=None, type: str = None, **settings) -> None:
        if type is not None:  # generic bindings name theirs
            self.type = type
        self.name = name
        self.init_params = ['name', 'data_type', *settings]
        for key, value in (('data_type', data_type), *settings.items()):
            if key in _ENUM_SETTINGS and isinstance(value, str):
                value = to_enum(value, _ENUM_SETTINGS[key])
            setattr(self, key, value)

    @classmethod
    def get_binding_name(cls) -> str:
        return cls.type

    def get_dict_repr(self) -> dict:
        """The binding as function.json writes it (camelCase keys)."""
        result = {'type': self.type, 'direction': str(self.direction).lower(), 'name': self.name}
        for param in self.init_params[1:]:
            value = getattr(self, param, None)
            if value is not None:
                result[_camel(param)] = str(value) if isinstance(value, StringifyEnum) else value
        return result

    def __repr__(self):
        return f'<{type(self).__name__} {self.type} {self.name!r}>'


class Trigger(Binding):
    """The one binding that starts a function."""

    @staticmethod
    def is_supported_trigger_type(trigger, trigger_type: type) -> bool:
        return getattr(trigger, 'type', None) == trigger_type.type


class InputBinding(Binding):
    direction = BindingDirection.IN


class OutputBinding(Binding):
    direction = BindingDirection.OUT
