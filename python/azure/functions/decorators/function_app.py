# SPDX-License-Identifier: Apache-2.0
"""FunctionApp, Blueprint and the decorators that build their functions.

Every trigger, input and output decorator of the real package, with its
signature: each adds its binding (bindings.py) to the function being built,
so any app indexes; the worker decides what it can serve.
"""

from __future__ import annotations  # annotations stay text: no typing import

import collections.abc

from . import bindings
from .bindings import SEMANTIC_SEARCH_SYSTEM_PROMPT, InputType, OpenAIModels
from .core import (SCRIPT_FILE_NAME, AccessRights, AuthLevel, Binding, BlobSource, Cardinality,
                   DataType, Trigger)
from .http import HttpMethod, HttpOutput, HttpTrigger
from .utils import to_enum

Callable = collections.abc.Callable


class Function:
    """A user function with its trigger and bindings."""

    def __init__(self, func: Callable, script_file: str = SCRIPT_FILE_NAME) -> None:
        self._name = func.__name__
        self._func = func
        self._trigger: Trigger | None = None
        self._bindings: list = []
        self._settings: list = []
        self.function_script_file = script_file
        self.http_type = 'function'

    def __call__(self, *args, **kwargs):
        return self._func(*args, **kwargs)

    def add_trigger(self, trigger: Trigger) -> None:
        if self._trigger is not None:
            raise ValueError('A trigger was already registered to this function. '
                             'A function can only have one trigger.')
        self._trigger = trigger
        self._bindings.append(trigger)

    def add_binding(self, binding: Binding) -> None:
        self._bindings.append(binding)

    def add_setting(self, setting: dict) -> None:
        self._settings.append(setting)

    def get_settings(self) -> list:
        return self._settings

    def set_function_name(self, function_name: str | None = None) -> None:
        if function_name:
            self._name = function_name

    def set_http_type(self, http_type: str) -> None:
        self.http_type = http_type

    def is_http_function(self) -> bool:
        return Trigger.is_supported_trigger_type(self._trigger, HttpTrigger)

    def get_trigger(self) -> Trigger | None:
        return self._trigger

    def get_bindings(self) -> list:
        return self._bindings

    def get_bindings_dict(self) -> dict:
        return {'bindings': [b.get_dict_repr() for b in self._bindings]}

    def get_dict_repr(self) -> dict:
        return {'scriptFile': self.function_script_file, **self.get_bindings_dict()}

    def get_user_function(self) -> Callable:
        return self._func

    def get_function_name(self) -> str:
        return self._name

    def __repr__(self):
        return f'<Function {self._name}>'


class FunctionBuilder:
    """What the decorators return; the next decorator keeps building on it.

    Calling it calls the user function, as the real package's does, so
    decorated functions stay unit-testable.
    """

    def __init__(self, func: Callable, function_script_file: str = SCRIPT_FILE_NAME) -> None:
        self._function = Function(func, function_script_file)

    def __call__(self, *args, **kwargs):
        return self._function.get_user_function()(*args, **kwargs)

    def configure_function_name(self, function_name: str) -> 'FunctionBuilder':
        self._function.set_function_name(function_name)
        return self

    def configure_http_type(self, http_type: str) -> 'FunctionBuilder':
        self._function.set_http_type(http_type)
        return self

    def add_trigger(self, trigger: Trigger) -> 'FunctionBuilder':
        self._function.add_trigger(trigger)
        return self

    def add_binding(self, binding: Binding) -> 'FunctionBuilder':
        self._function.add_binding(binding)
        return self

    def add_setting(self, setting: dict) -> 'FunctionBuilder':
        self._function.add_setting(setting)
        return self

    def build(self, auth_level: AuthLevel | None = None) -> Function:
        """Validate and fill the defaults that depend on the final name/app."""
        function = self._function
        trigger = function.get_trigger()
        if trigger is None:
            raise ValueError(f'Function {function.get_function_name()} does not have a '
                             f'trigger. A valid function must have one and only one trigger '
                             f'registered.')
        # as the real package: any trigger of type httpTrigger (a generic
        # one too) gets the function's name as route and the app's level
        if function.is_http_function():
            if getattr(trigger, 'route', None) is None:
                trigger.route = function.get_function_name()
            if getattr(trigger, 'auth_level', None) is None and auth_level is not None:
                trigger.auth_level = auth_level
        return function


class DecoratorApi:
    """Decorators shared by FunctionApp and Blueprint.

    They may be stacked in any order: each one accepts the user function or
    the FunctionBuilder the previous decorator returned.
    """

    def __init__(self, *args, **kwargs) -> None:
        self._function_builders: list[FunctionBuilder] = []
        self._app_script_file = SCRIPT_FILE_NAME

    @property
    def app_script_file(self) -> str:
        return self._app_script_file

    def _builder(self, func) -> FunctionBuilder:
        if isinstance(func, FunctionBuilder):
            builder = func
        elif callable(func):
            builder = FunctionBuilder(func, self._app_script_file)
        else:
            raise ValueError('Unsupported type for function app decorator found.')
        if not any(b is builder for b in self._function_builders):
            self._function_builders.append(builder)
        return builder

    def _decorate(self, binding, arguments: dict | None = None) -> Callable:
        """A decorator adding `binding` (a Binding, or a Binding class made
        from a decorator's `arguments`, its locals()) as trigger or binding."""
        if arguments is not None:
            settings = {k: v for k, v in arguments.items()
                        if k not in ('self', 'arg_name', 'kwargs')}
            binding = binding(arguments['arg_name'], **settings, **arguments.get('kwargs', {}))

        def decorator(func):
            builder = self._builder(func)
            if isinstance(binding, Trigger):
                return builder.add_trigger(binding)
            return builder.add_binding(binding)
        return decorator

    def function_name(self, name: str, setting_extra_fields: dict | None = None) -> Callable:
        """Name the function (default: the Python function's name)."""
        def decorator(func):
            return self._builder(func).configure_function_name(name)
        return decorator

    def http_type(self, http_type: str) -> Callable:
        """Record the http type (used by the real package for WSGI/ASGI apps)."""
        def decorator(func):
            return self._builder(func).configure_http_type(http_type)
        return decorator

    # Durable Functions' decorators come from its own package, as in the
    # real library.

    def _get_durable_blueprint(self):
        try:
            import azure.durable_functions as df
        except ImportError:
            raise Exception('Attempted to use a Durable Functions decorator, but the '
                            '`azure-functions-durable` SDK package could not be found. Please '
                            'install `azure-functions-durable` to use Durable Functions.') from None
        return df.Blueprint()

    def _invoke_df_decorator(self, df_decorator) -> Callable:
        def decorator(func):
            builder = self._builder(func)
            result = df_decorator(builder._function.get_user_function())
            self._function_builders[self._function_builders.index(builder)] = result
            return result
        return decorator


class TriggerApi(DecoratorApi):
    """The trigger decorators: one a function."""

    def route(self, route: str | None = None, trigger_arg_name: str = 'req',
              binding_arg_name: str = '$return',
              methods: collections.abc.Iterable[str | HttpMethod] | str | HttpMethod | None = None,
              auth_level: AuthLevel | str | None = None,
              trigger_extra_fields: dict | None = None,
              binding_extra_fields: dict | None = None) -> Callable:
        """Make the function an HTTP function.

        :param route: route template; default the function name.
        :param trigger_arg_name: the argument that receives the HttpRequest.
        :param binding_arg_name: '$return' or the name of a func.Out argument.
        :param methods: allowed methods; default all.
        :param auth_level: default the app's http_auth_level.
        """
        if isinstance(methods, (str, HttpMethod)):
            methods = [methods]
        parsed_methods = None if methods is None else [to_enum(m, HttpMethod) for m in methods]
        parsed_level = None if auth_level is None else to_enum(auth_level, AuthLevel)
        trigger = HttpTrigger(trigger_arg_name, methods=parsed_methods, auth_level=parsed_level,
                              route=route, **(trigger_extra_fields or {}))
        output = HttpOutput(binding_arg_name, **(binding_extra_fields or {}))

        def decorator(func):
            return self._decorate(output)(self._decorate(trigger)(func))
        return decorator

    def timer_trigger(self, arg_name: str, schedule: str, run_on_startup: bool | None = None,
                      use_monitor: bool | None = None, data_type: DataType | str | None = None,
                      **kwargs) -> Callable:
        return self._decorate(bindings.TimerTrigger, locals())

    def warm_up_trigger(self, arg_name: str, data_type: DataType | str | None = None,
                        **kwargs) -> Callable:
        return self._decorate(bindings.WarmUpTrigger, locals())

    def service_bus_queue_trigger(self, arg_name: str, connection: str, queue_name: str,
                                  data_type: DataType | str | None = None,
                                  access_rights: AccessRights | str | None = None,
                                  is_sessions_enabled: bool | None = None,
                                  cardinality: Cardinality | str | None = None,
                                  **kwargs) -> Callable:
        return self._decorate(bindings.ServiceBusQueueTrigger, locals())

    def service_bus_topic_trigger(self, arg_name: str, connection: str, topic_name: str,
                                  subscription_name: str, data_type: DataType | str | None = None,
                                  access_rights: AccessRights | str | None = None,
                                  is_sessions_enabled: bool | None = None,
                                  cardinality: Cardinality | str | None = None,
                                  **kwargs) -> Callable:
        return self._decorate(bindings.ServiceBusTopicTrigger, locals())

    def queue_trigger(self, arg_name: str, queue_name: str, connection: str,
                      data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.QueueTrigger, locals())

    def event_hub_message_trigger(self, arg_name: str, connection: str, event_hub_name: str,
                                  data_type: DataType | str | None = None,
                                  cardinality: Cardinality | str | None = None,
                                  consumer_group: str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.EventHubTrigger, locals())

    def cosmos_db_trigger_v3(self, arg_name: str, database_name: str, collection_name: str,
                             connection_string_setting: str,
                             lease_collection_name: str | None = None,
                             lease_connection_string_setting: str | None = None,
                             lease_database_name: str | None = None,
                             create_lease_collection_if_not_exists: bool | None = None,
                             leases_collection_throughput: int | None = None,
                             lease_collection_prefix: str | None = None,
                             checkpoint_interval: int | None = None,
                             checkpoint_document_count: int | None = None,
                             feed_poll_delay: int | None = None,
                             lease_renew_interval: int | None = None,
                             lease_acquire_interval: int | None = None,
                             lease_expiration_interval: int | None = None,
                             max_items_per_invocation: int | None = None,
                             start_from_beginning: bool | None = None,
                             preferred_locations: str | None = None,
                             data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.CosmosDBTriggerV3, locals())

    def cosmos_db_trigger(self, arg_name: str, connection: str, database_name: str,
                          container_name: str, lease_connection: str | None = None,
                          lease_database_name: str | None = None,
                          lease_container_name: str | None = None,
                          create_lease_container_if_not_exists: bool | None = None,
                          leases_container_throughput: int | None = None,
                          lease_container_prefix: str | None = None,
                          feed_poll_delay: int | None = None,
                          lease_acquire_interval: int | None = None,
                          lease_expiration_interval: int | None = None,
                          lease_renew_interval: int | None = None,
                          max_items_per_invocation: int | None = None,
                          start_from_beginning: bool | None = None,
                          start_from_time: str | None = None,
                          preferred_locations: str | None = None,
                          data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.CosmosDBTrigger, locals())

    def blob_trigger(self, arg_name: str, path: str, connection: str,
                     source: BlobSource | str | None = None,
                     data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.BlobTrigger, locals())

    def event_grid_trigger(self, arg_name: str, data_type: DataType | str | None = None,
                           **kwargs) -> Callable:
        return self._decorate(bindings.EventGridTrigger, locals())

    def kafka_trigger(self, arg_name: str, topic: str, broker_list: str,
                      event_hub_connection_string: str | None = None,
                      consumer_group: str | None = None, avro_schema: str | None = None,
                      username: str | None = None, password: str | None = None,
                      ssl_key_location: str | None = None, ssl_ca_location: str | None = None,
                      ssl_certificate_location: str | None = None,
                      ssl_key_password: str | None = None, schema_registry_url: str | None = None,
                      schema_registry_username: str | None = None,
                      schema_registry_password: str | None = None,
                      o_auth_bearer_method: str | None = None,
                      o_auth_bearer_client_id: str | None = None,
                      o_auth_bearer_client_secret: str | None = None,
                      o_auth_bearer_scope: str | None = None,
                      o_auth_bearer_token_endpoint_url: str | None = None,
                      o_auth_bearer_extensions: str | None = None,
                      authentication_mode: str | None = 'NotSet', protocol: str | None = 'NotSet',
                      cardinality: Cardinality | str | None = 'One', lag_threshold: int = 1000,
                      data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.KafkaTrigger, locals())

    def sql_trigger(self, arg_name: str, table_name: str, connection_string_setting: str,
                    leases_table_name: str | None = None, data_type: DataType | str | None = None,
                    **kwargs) -> Callable:
        return self._decorate(bindings.SqlTrigger, locals())

    def mysql_trigger(self, arg_name: str, table_name: str, connection_string_setting: str,
                      leases_table_name: str | None = None,
                      data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.MySqlTrigger, locals())

    def generic_trigger(self, arg_name: str, type: str, data_type: DataType | str | None = None,
                        **kwargs) -> Callable:
        return self._decorate(bindings.GenericTrigger, locals())

    def mcp_tool_trigger(self, arg_name: str, tool_name: str, description: str | None = None,
                         tool_properties: str | None = None,
                         data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.MCPToolTrigger, locals())

    def dapr_service_invocation_trigger(self, arg_name: str, method_name: str,
                                        data_type: DataType | str | None = None,
                                        **kwargs) -> Callable:
        return self._decorate(bindings.DaprServiceInvocationTrigger, locals())

    def dapr_binding_trigger(self, arg_name: str, binding_name: str,
                             data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.DaprBindingTrigger, locals())

    def dapr_topic_trigger(self, arg_name: str, pub_sub_name: str, topic: str,
                           route: str | None = None, data_type: DataType | str | None = None,
                           **kwargs) -> Callable:
        return self._decorate(bindings.DaprTopicTrigger, locals())

    def assistant_skill_trigger(self, arg_name: str, function_description: str,
                                function_name: str | None = None,
                                parameter_description_json: str | None = None,
                                data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.AssistantSkillTrigger, locals())

    schedule = timer_trigger

    def orchestration_trigger(self, context_name: str, orchestration: str | None = None):
        df_decorator = self._get_durable_blueprint().orchestration_trigger(context_name,
                                                                           orchestration)
        return self._invoke_df_decorator(df_decorator)

    def entity_trigger(self, context_name: str, entity_name: str | None = None):
        df_decorator = self._get_durable_blueprint().entity_trigger(context_name, entity_name)
        return self._invoke_df_decorator(df_decorator)

    def activity_trigger(self, input_name: str, activity: str | None = None):
        df_decorator = self._get_durable_blueprint().activity_trigger(input_name, activity)
        return self._invoke_df_decorator(df_decorator)


class BindingApi(DecoratorApi):
    """The input and output binding decorators."""

    def durable_client_input(self, client_name: str, task_hub: str | None = None,
                             connection_name: str | None = None):
        df_decorator = self._get_durable_blueprint().durable_client_input(
            client_name, task_hub, connection_name)
        return self._invoke_df_decorator(df_decorator)

    def service_bus_queue_output(self, arg_name: str, connection: str, queue_name: str,
                                 data_type: DataType | str | None = None,
                                 access_rights: AccessRights | str | None = None,
                                 **kwargs) -> Callable:
        return self._decorate(bindings.ServiceBusQueueOutput, locals())

    def service_bus_topic_output(self, arg_name: str, connection: str, topic_name: str,
                                 subscription_name: str | None = None,
                                 data_type: DataType | str | None = None,
                                 access_rights: AccessRights | str | None = None,
                                 **kwargs) -> Callable:
        return self._decorate(bindings.ServiceBusTopicOutput, locals())

    def queue_output(self, arg_name: str, queue_name: str, connection: str,
                     data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.QueueOutput, locals())

    def event_hub_output(self, arg_name: str, connection: str, event_hub_name: str,
                         data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.EventHubOutput, locals())

    def cosmos_db_output_v3(self, arg_name: str, database_name: str, collection_name: str,
                            connection_string_setting: str,
                            create_if_not_exists: bool | None = None,
                            partition_key: str | None = None,
                            collection_throughput: int | None = None,
                            use_multiple_write_locations: bool | None = None,
                            preferred_locations: str | None = None,
                            data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.CosmosDBOutputV3, locals())

    def cosmos_db_output(self, arg_name: str, connection: str, database_name: str,
                         container_name: str, create_if_not_exists: bool | None = None,
                         partition_key: str | None = None, container_throughput: int | None = None,
                         preferred_locations: str | None = None,
                         data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.CosmosDBOutput, locals())

    def cosmos_db_input_v3(self, arg_name: str, database_name: str, collection_name: str,
                           connection_string_setting: str, id: str | None = None,
                           sql_query: str | None = None, partition_key: str | None = None,
                           data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.CosmosDBInputV3, locals())

    def cosmos_db_input(self, arg_name: str, connection: str, database_name: str,
                        container_name: str, partition_key: str | None = None,
                        id: str | None = None, sql_query: str | None = None,
                        preferred_locations: str | None = None,
                        data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.CosmosDBInput, locals())

    def blob_input(self, arg_name: str, path: str, connection: str,
                   data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.BlobInput, locals())

    def blob_output(self, arg_name: str, path: str, connection: str,
                    data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.BlobOutput, locals())

    def event_grid_output(self, arg_name: str, topic_endpoint_uri: str | None = None,
                          topic_key_setting: str | None = None, connection: str | None = None,
                          data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.EventGridOutput, locals())

    def kafka_output(self, arg_name: str, topic: str, broker_list: str,
                     avro_schema: str | None = None, username: str | None = None,
                     password: str | None = None, ssl_key_location: str | None = None,
                     ssl_ca_location: str | None = None,
                     ssl_certificate_location: str | None = None,
                     ssl_key_password: str | None = None, schema_registry_url: str | None = None,
                     schema_registry_username: str | None = None,
                     schema_registry_password: str | None = None,
                     o_auth_bearer_method: str | None = None,
                     o_auth_bearer_client_id: str | None = None,
                     o_auth_bearer_client_secret: str | None = None,
                     o_auth_bearer_scope: str | None = None,
                     o_auth_bearer_token_endpoint_url: str | None = None,
                     o_auth_bearer_extensions: str | None = None,
                     max_message_bytes: int = 1_000_000, batch_size: int = 10_000,
                     enable_idempotence: bool = False, message_timeout_ms: int = 300_000,
                     request_timeout_ms: int = 5_000, max_retries: int = 2_147_483_647,
                     authentication_mode: str | None = 'NOTSET', protocol: str | None = 'NOTSET',
                     linger_ms: int = 5, data_type: DataType | str | None = None,
                     **kwargs) -> Callable:
        return self._decorate(bindings.KafkaOutput, locals())

    def table_input(self, arg_name: str, connection: str, table_name: str,
                    row_key: str | None = None, partition_key: str | None = None,
                    take: int | None = None, filter: str | None = None,
                    data_type: DataType | str | None = None) -> Callable:
        return self._decorate(bindings.TableInput, locals())

    def table_output(self, arg_name: str, connection: str, table_name: str,
                     row_key: str | None = None, partition_key: str | None = None,
                     data_type: DataType | str | None = None) -> Callable:
        return self._decorate(bindings.TableOutput, locals())

    def sql_input(self, arg_name: str, command_text: str, connection_string_setting: str,
                  command_type: str | None = 'Text', parameters: str | None = None,
                  data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.SqlInput, locals())

    def sql_output(self, arg_name: str, command_text: str, connection_string_setting: str,
                   data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.SqlOutput, locals())

    def generic_input_binding(self, arg_name: str, type: str,
                              data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.GenericInputBinding, locals())

    def generic_output_binding(self, arg_name: str, type: str,
                               data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.GenericOutputBinding, locals())

    def dapr_state_input(self, arg_name: str, state_store: str, key: str,
                         dapr_address: str | None = None, data_type: DataType | str | None = None,
                         **kwargs) -> Callable:
        return self._decorate(bindings.DaprStateInput, locals())

    def dapr_secret_input(self, arg_name: str, secret_store_name: str, key: str, metadata: str,
                          dapr_address: str | None = None, data_type: DataType | str | None = None,
                          **kwargs) -> Callable:
        return self._decorate(bindings.DaprSecretInput, locals())

    def dapr_state_output(self, arg_name: str, state_store: str, key: str,
                          dapr_address: str | None = None, data_type: DataType | str | None = None,
                          **kwargs) -> Callable:
        return self._decorate(bindings.DaprStateOutput, locals())

    def dapr_invoke_output(self, arg_name: str, app_id: str, method_name: str, http_verb: str,
                           dapr_address: str | None = None,
                           data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.DaprInvokeOutput, locals())

    def dapr_publish_output(self, arg_name: str, pub_sub_name: str, topic: str,
                            dapr_address: str | None = None,
                            data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.DaprPublishOutput, locals())

    def dapr_binding_output(self, arg_name: str, binding_name: str, operation: str,
                            dapr_address: str | None = None,
                            data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.DaprBindingOutput, locals())

    def text_completion_input(self, arg_name: str, prompt: str,
                              ai_connection_name: str | None = '',
                              chat_model: str | None = OpenAIModels.DefaultChatModel,
                              temperature: str | None = '0.5', top_p: str | None = None,
                              max_tokens: str | None = '100',
                              is_reasoning_model: bool | None = False,
                              data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.TextCompletionInput, locals())

    def assistant_create_output(self, arg_name: str, data_type: DataType | str | None = None,
                                **kwargs) -> Callable:
        return self._decorate(bindings.AssistantCreateOutput, locals())

    def assistant_query_input(self, arg_name: str, id: str, timestamp_utc: str,
                              chat_storage_connection_setting: str | None = 'AzureWebJobsStorage',
                              collection_name: str | None = 'ChatState',
                              data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.AssistantQueryInput, locals())

    def assistant_post_input(self, arg_name: str, id: str, user_message: str,
                             ai_connection_name: str | None = '',
                             chat_model: str | None = OpenAIModels.DefaultChatModel,
                             chat_storage_connection_setting: str | None = 'AzureWebJobsStorage',
                             collection_name: str | None = 'ChatState',
                             temperature: str | None = '0.5', top_p: str | None = None,
                             max_tokens: str | None = '100',
                             is_reasoning_model: bool | None = False,
                             data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.AssistantPostInput, locals())

    def embeddings_input(self, arg_name: str, input: str, input_type: InputType | str,
                         ai_connection_name: str | None = '',
                         embeddings_model: str | None = OpenAIModels.DefaultEmbeddingsModel,
                         max_chunk_length: int | None = 8 * 1024, max_overlap: int | None = 128,
                         data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.EmbeddingsInput, locals())

    def semantic_search_input(self, arg_name: str, search_connection_name: str, collection: str,
                              query: str | None = None, ai_connection_name: str | None = '',
                              embeddings_model: str | None = OpenAIModels.DefaultEmbeddingsModel,
                              chat_model: str | None = OpenAIModels.DefaultChatModel,
                              system_prompt: str | None = SEMANTIC_SEARCH_SYSTEM_PROMPT,
                              max_knowledge_count: int | None = 1, temperature: str | None = '0.5',
                              top_p: str | None = None, max_tokens: str | None = '100',
                              is_reasoning_model: bool | None = False,
                              data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.SemanticSearchInput, locals())

    def embeddings_store_output(self, arg_name: str, input: str, input_type: InputType | str,
                                store_connection_name: str, collection: str,
                                ai_connection_name: str | None = '',
                                embeddings_model: str | None = OpenAIModels.DefaultEmbeddingsModel,
                                max_chunk_length: int | None = 8 * 1024,
                                max_overlap: int | None = 128,
                                data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.EmbeddingsStoreOutput, locals())

    def mysql_input(self, arg_name: str, command_text: str, connection_string_setting: str,
                    command_type: str | None = 'Text', parameters: str | None = None,
                    data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.MySqlInput, locals())

    def mysql_output(self, arg_name: str, command_text: str, connection_string_setting: str,
                     data_type: DataType | str | None = None, **kwargs) -> Callable:
        return self._decorate(bindings.MySqlOutput, locals())


class SettingsApi(DecoratorApi):
    """Function settings (retry)."""

    def retry(self, strategy: str, max_retry_count: str, delay_interval: str | None = None,
              minimum_interval: str | None = None, maximum_interval: str | None = None,
              setting_extra_fields: dict | None = None) -> Callable:
        """A retry policy (used by non-HTTP triggers on Azure; kept, not applied)."""
        setting = {'setting_name': 'retry_policy', 'strategy': strategy,
                   'max_retry_count': max_retry_count, 'delay_interval': delay_interval,
                   'minimum_interval': minimum_interval, 'maximum_interval': maximum_interval,
                   **(setting_extra_fields or {})}

        def decorator(func):
            return self._builder(func).add_setting(setting)
        return decorator


class FunctionRegister(DecoratorApi):
    """A top-level app: the worker indexes the one instance found in
    function_app.py."""

    def __init__(self, auth_level: AuthLevel | str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._auth_level = to_enum(auth_level, AuthLevel)

    @property
    def auth_level(self) -> AuthLevel:
        """Auth level of HTTP functions that do not set one."""
        return self._auth_level

    def get_functions(self) -> list[Function]:
        functions = [builder.build(self._auth_level) for builder in self._function_builders]
        seen = set()
        for function in functions:
            name = function.get_function_name()
            if name in seen:
                raise ValueError(f'Function {name} does not have a unique function name. '
                                 f'Please change @app.function_name() or the function method '
                                 f'name to be unique.')
            seen.add(name)
        return functions

    def register_functions(self, function_container: DecoratorApi) -> None:
        """Add the functions of a Blueprint to this app."""
        if isinstance(function_container, FunctionRegister):
            raise TypeError('functions can not be type of FunctionRegister!')
        for builder in function_container._function_builders:
            self._builder(builder)

    register_blueprint = register_functions


class FunctionApp(FunctionRegister, TriggerApi, BindingApi, SettingsApi):
    """The function app of a v2 function_app.py."""

    def __init__(self, http_auth_level: AuthLevel | str = AuthLevel.FUNCTION) -> None:
        super().__init__(auth_level=http_auth_level)


class Blueprint(TriggerApi, BindingApi, SettingsApi):
    """A set of functions registered into a FunctionApp with
    register_functions() (or register_blueprint())."""


BluePrint = Blueprint  # the name older releases of the real package used
