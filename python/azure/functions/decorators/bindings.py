# SPDX-License-Identifier: Apache-2.0
"""The bindings of every trigger, input and output decorator beside HTTP.

Each is a Binding of the type the host knows it by, holding the settings
the decorator was given (the real package spreads them over one module a
service; one table is enough to index them).  mod_funcapp runs timer and
warm-up triggers; the others need their Azure service and are listed at
start as not served.
"""

from . import constants as c
from .core import InputBinding, OutputBinding, StringifyEnum, Trigger

__all__ = ()  # filled below


class OpenAIModels(StringifyEnum):
    """The OpenAI extension's default models."""
    DefaultChatModel = 'gpt-3.5-turbo'
    DefaultEmbeddingsModel = 'text-embedding-ada-002'

    def __str__(self):
        return str(self.value)


class InputType(StringifyEnum):
    """What the `input` of an embeddings binding is."""
    RawText = 'rawtext'
    FilePath = 'filepath'
    Url = 'url'


SEMANTIC_SEARCH_SYSTEM_PROMPT = ('You are a helpful assistant. You are responding to requests '
                                 'from a user about internal emails and documents. Answer from '
                                 'the knowledge below only.')

_TABLE = (
    # class name, base, binding type
    ('TimerTrigger', Trigger, c.TIMER_TRIGGER),
    ('WarmUpTrigger', Trigger, c.WARMUP_TRIGGER),
    ('QueueTrigger', Trigger, c.QUEUE_TRIGGER),
    ('QueueOutput', OutputBinding, c.QUEUE),
    ('BlobTrigger', Trigger, c.BLOB_TRIGGER),
    ('BlobInput', InputBinding, c.BLOB),
    ('BlobOutput', OutputBinding, c.BLOB),
    ('EventHubTrigger', Trigger, c.EVENT_HUB_TRIGGER),
    ('EventHubOutput', OutputBinding, c.EVENT_HUB),
    ('ServiceBusQueueTrigger', Trigger, c.SERVICE_BUS_TRIGGER),
    ('ServiceBusTopicTrigger', Trigger, c.SERVICE_BUS_TRIGGER),
    ('ServiceBusQueueOutput', OutputBinding, c.SERVICE_BUS),
    ('ServiceBusTopicOutput', OutputBinding, c.SERVICE_BUS),
    ('CosmosDBTrigger', Trigger, c.COSMOS_DB_TRIGGER),
    ('CosmosDBTriggerV3', Trigger, c.COSMOS_DB_TRIGGER),
    ('CosmosDBInput', InputBinding, c.COSMOS_DB),
    ('CosmosDBInputV3', InputBinding, c.COSMOS_DB),
    ('CosmosDBOutput', OutputBinding, c.COSMOS_DB),
    ('CosmosDBOutputV3', OutputBinding, c.COSMOS_DB),
    ('EventGridTrigger', Trigger, c.EVENT_GRID_TRIGGER),
    ('EventGridOutput', OutputBinding, c.EVENT_GRID),
    ('TableInput', InputBinding, c.TABLE),
    ('TableOutput', OutputBinding, c.TABLE),
    ('KafkaTrigger', Trigger, c.KAFKA_TRIGGER),
    ('KafkaOutput', OutputBinding, c.KAFKA),
    ('SqlTrigger', Trigger, c.SQL_TRIGGER),
    ('SqlInput', InputBinding, c.SQL),
    ('SqlOutput', OutputBinding, c.SQL),
    ('MySqlTrigger', Trigger, c.MYSQL_TRIGGER),
    ('MySqlInput', InputBinding, c.MYSQL),
    ('MySqlOutput', OutputBinding, c.MYSQL),
    ('MCPToolTrigger', Trigger, c.MCP_TOOL_TRIGGER),
    ('DaprServiceInvocationTrigger', Trigger, c.DAPR_SERVICE_INVOCATION_TRIGGER),
    ('DaprBindingTrigger', Trigger, c.DAPR_BINDING_TRIGGER),
    ('DaprTopicTrigger', Trigger, c.DAPR_TOPIC_TRIGGER),
    ('DaprStateInput', InputBinding, c.DAPR_STATE),
    ('DaprSecretInput', InputBinding, c.DAPR_SECRET),
    ('DaprStateOutput', OutputBinding, c.DAPR_STATE),
    ('DaprInvokeOutput', OutputBinding, c.DAPR_INVOKE),
    ('DaprPublishOutput', OutputBinding, c.DAPR_PUBLISH),
    ('DaprBindingOutput', OutputBinding, c.DAPR_BINDING),
    ('AssistantSkillTrigger', Trigger, c.ASSISTANT_SKILL_TRIGGER),
    ('TextCompletionInput', InputBinding, c.TEXT_COMPLETION),
    ('AssistantCreateOutput', OutputBinding, c.ASSISTANT_CREATE),
    ('AssistantQueryInput', InputBinding, c.ASSISTANT_QUERY),
    ('AssistantPostInput', InputBinding, c.ASSISTANT_POST),
    ('EmbeddingsInput', InputBinding, c.EMBEDDINGS),
    ('SemanticSearchInput', InputBinding, c.SEMANTIC_SEARCH),
    ('EmbeddingsStoreOutput', OutputBinding, c.EMBEDDINGS_STORE),
    # generic ones: the type is the decorator's `type` argument
    ('GenericTrigger', Trigger, None),
    ('GenericInputBinding', InputBinding, None),
    ('GenericOutputBinding', OutputBinding, None),
)

__all__ = ('InputType', 'OpenAIModels', 'SEMANTIC_SEARCH_SYSTEM_PROMPT',
           *(row[0] for row in _TABLE))
_CLASSES = {name: (base, type_) for name, base, type_ in _TABLE}


def __getattr__(name):
    # Each class is made when first used (PEP 562): made at import, the 52
    # cost every worker ~100 kB, and an app uses a few at most (HTTP's are
    # in http.py).
    if name not in _CLASSES:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    base, type_ = _CLASSES[name]
    made = type(name, (base,), {'type': type_, '__module__': __name__,
                                '__doc__': f'The {type_ or "generic"} binding.'})
    # setdefault: of two threads making one, both get the first one kept
    return globals().setdefault(name, made)
