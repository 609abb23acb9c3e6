# SPDX-License-Identifier: Apache-2.0
"""The decorator surface of the bundled azure.functions: every decorator of
the real FunctionApp exists, takes the real arguments, and stores the
binding the host knows (type, direction, settings); the loader puts each
function in the table with its trigger, and HTTP-like generic triggers are
HTTP functions."""

import logging
import unittest

from support import LoaderTestCase, loader

# decorator -> (binding type, is a trigger, required arguments after arg_name)
SURFACE = {
    'timer_trigger': ('timerTrigger', True, {'schedule': '0 */5 * * * *'}),
    'schedule': ('timerTrigger', True, {'schedule': '0 */5 * * * *'}),
    'warm_up_trigger': ('warmupTrigger', True, {}),
    'queue_trigger': ('queueTrigger', True, {'queue_name': 'q', 'connection': 'C'}),
    'queue_output': ('queue', False, {'queue_name': 'q', 'connection': 'C'}),
    'blob_trigger': ('blobTrigger', True, {'path': 'c/{name}', 'connection': 'C'}),
    'blob_input': ('blob', False, {'path': 'c/x', 'connection': 'C'}),
    'blob_output': ('blob', False, {'path': 'c/y', 'connection': 'C'}),
    'event_hub_message_trigger': ('eventHubTrigger', True,
                                  {'connection': 'C', 'event_hub_name': 'h'}),
    'event_hub_output': ('eventHub', False, {'connection': 'C', 'event_hub_name': 'h'}),
    'service_bus_queue_trigger': ('serviceBusTrigger', True,
                                  {'connection': 'C', 'queue_name': 'q'}),
    'service_bus_topic_trigger': ('serviceBusTrigger', True,
                                  {'connection': 'C', 'topic_name': 't',
                                   'subscription_name': 's'}),
    'service_bus_queue_output': ('serviceBus', False, {'connection': 'C', 'queue_name': 'q'}),
    'service_bus_topic_output': ('serviceBus', False, {'connection': 'C', 'topic_name': 't'}),
    'cosmos_db_trigger': ('cosmosDBTrigger', True,
                          {'connection': 'C', 'database_name': 'd', 'container_name': 'c'}),
    'cosmos_db_trigger_v3': ('cosmosDBTrigger', True,
                             {'database_name': 'd', 'collection_name': 'c',
                              'connection_string_setting': 'C'}),
    'cosmos_db_input': ('cosmosDB', False,
                        {'connection': 'C', 'database_name': 'd', 'container_name': 'c'}),
    'cosmos_db_input_v3': ('cosmosDB', False, {'database_name': 'd', 'collection_name': 'c',
                                               'connection_string_setting': 'C'}),
    'cosmos_db_output': ('cosmosDB', False,
                         {'connection': 'C', 'database_name': 'd', 'container_name': 'c'}),
    'cosmos_db_output_v3': ('cosmosDB', False, {'database_name': 'd', 'collection_name': 'c',
                                                'connection_string_setting': 'C'}),
    'event_grid_trigger': ('eventGridTrigger', True, {}),
    'event_grid_output': ('eventGrid', False, {}),
    'table_input': ('table', False, {'connection': 'C', 'table_name': 't'}),
    'table_output': ('table', False, {'connection': 'C', 'table_name': 't'}),
    'kafka_trigger': ('kafkaTrigger', True, {'topic': 't', 'broker_list': 'b'}),
    'kafka_output': ('kafka', False, {'topic': 't', 'broker_list': 'b'}),
    'sql_trigger': ('sqlTrigger', True, {'table_name': 't', 'connection_string_setting': 'C'}),
    'sql_input': ('sql', False, {'command_text': 'select 1', 'connection_string_setting': 'C'}),
    'sql_output': ('sql', False, {'command_text': 't', 'connection_string_setting': 'C'}),
    'mysql_trigger': ('mysqlTrigger', True, {'table_name': 't', 'connection_string_setting': 'C'}),
    'mysql_input': ('mysql', False, {'command_text': 's', 'connection_string_setting': 'C'}),
    'mysql_output': ('mysql', False, {'command_text': 't', 'connection_string_setting': 'C'}),
    'generic_trigger': ('customTrigger', True, {'type': 'customTrigger'}),
    'generic_input_binding': ('customIn', False, {'type': 'customIn'}),
    'generic_output_binding': ('customOut', False, {'type': 'customOut'}),
    'mcp_tool_trigger': ('mcpToolTrigger', True, {'tool_name': 't'}),
    'dapr_service_invocation_trigger': ('daprServiceInvocationTrigger', True,
                                        {'method_name': 'm'}),
    'dapr_binding_trigger': ('daprBindingTrigger', True, {'binding_name': 'b'}),
    'dapr_topic_trigger': ('daprTopicTrigger', True, {'pub_sub_name': 'p', 'topic': 't'}),
    'dapr_state_input': ('daprState', False, {'state_store': 's', 'key': 'k'}),
    'dapr_secret_input': ('daprSecret', False,
                          {'secret_store_name': 's', 'key': 'k', 'metadata': 'm'}),
    'dapr_state_output': ('daprState', False, {'state_store': 's', 'key': 'k'}),
    'dapr_invoke_output': ('daprInvoke', False,
                           {'app_id': 'a', 'method_name': 'm', 'http_verb': 'GET'}),
    'dapr_publish_output': ('daprPublish', False, {'pub_sub_name': 'p', 'topic': 't'}),
    'dapr_binding_output': ('daprBinding', False, {'binding_name': 'b', 'operation': 'o'}),
    'assistant_skill_trigger': ('assistantSkillTrigger', True, {'function_description': 'd'}),
    'text_completion_input': ('textCompletion', False, {'prompt': 'p'}),
    'assistant_create_output': ('assistantCreate', False, {}),
    'assistant_query_input': ('assistantQuery', False, {'id': 'i', 'timestamp_utc': 't'}),
    'assistant_post_input': ('assistantPost', False, {'id': 'i', 'user_message': 'm'}),
    'embeddings_input': ('embeddings', False, {'input': 'i', 'input_type': 'rawtext'}),
    'semantic_search_input': ('semanticSearch', False,
                              {'search_connection_name': 's', 'collection': 'c'}),
    'embeddings_store_output': ('embeddingsStore', False,
                                {'input': 'i', 'input_type': 'rawtext',
                                 'store_connection_name': 's', 'collection': 'c'}),
}


class DecoratorSurfaceTest(LoaderTestCase):

    def setUp(self):
        super().setUp()
        self.setup_app(app_root=None)
        self.func = self.func()

    def build(self, container, name, required, **extra):
        def user(arg):
            return arg
        getattr(container, name)('arg', **required, **extra)(user)
        return container._function_builders[-1]._function

    def test_every_decorator_stores_its_binding(self):
        for container in (self.func.FunctionApp(), self.func.Blueprint()):
            for name, (kind, is_trigger, required) in SURFACE.items():
                with self.subTest(container=type(container).__name__, decorator=name):
                    # the real table decorators take no extra settings
                    extra = {} if name.startswith('table_') else {'extra_setting': 7}
                    function = self.build(container, name, required, **extra)
                    binding = function.get_bindings()[-1]
                    self.assertEqual((binding.type, binding.name), (kind, 'arg'))
                    self.assertIs(function.get_trigger() is binding, is_trigger)
                    self.assertEqual(getattr(binding, 'extra_setting', 7), 7)
                    for key, value in required.items():
                        if key != 'type':
                            self.assertEqual(str(getattr(binding, key)), str(value))
                    inward = is_trigger or 'input' in name
                    self.assertEqual(binding.get_dict_repr()['direction'],
                                     'in' if inward else 'out')

    def test_required_arguments_and_positional_calls(self):
        app = self.func.FunctionApp()
        with self.assertRaises(TypeError):
            app.queue_trigger(arg_name='m', queue_name='q')  # no connection
        with self.assertRaises(TypeError):
            app.table_input('t', 'C', 'tbl', unknown=1)  # no **kwargs in the real one
        function = self.build(app, 'timer_trigger', {}, schedule='*/5 * * * * *',
                              run_on_startup=True, use_monitor=False, data_type='string')
        trigger = function.get_trigger()
        self.assertEqual((trigger.schedule, trigger.run_on_startup, trigger.use_monitor),
                         ('*/5 * * * * *', True, False))
        self.assertIs(trigger.data_type, self.func.DataType.STRING)
        self.assertEqual(function.get_dict_repr()['bindings'][0], {
            'type': 'timerTrigger', 'direction': 'in', 'name': 'arg', 'dataType': 'STRING',
            'schedule': '*/5 * * * * *', 'runOnStartup': True, 'useMonitor': False})
        self.assertIs(type(app).schedule, type(app).timer_trigger)

    def test_one_trigger_and_durable_needs_its_package(self):
        app = self.func.FunctionApp()

        @app.queue_trigger('m', 'q', 'C')
        def f(m):
            pass
        with self.assertRaisesRegex(ValueError, 'only have one trigger'):
            app.warm_up_trigger('w')(f)
        with self.assertRaisesRegex(Exception, 'azure-functions-durable'):
            app.orchestration_trigger('context')

    def test_types(self):
        func = self.func
        self.assertTrue(func.TimerRequest(past_due=True).past_due)
        self.assertEqual(func.QueueMessage(id='1', body='{"a": 1}').get_json(), {'a': 1})
        self.assertEqual(func.InputStream(data=b'abc', name='n').read(), b'abc')
        self.assertEqual(func.EventHubEvent(body=b'e', partition_key='p').partition_key, 'p')
        self.assertEqual(func.ServiceBusMessage(body=b'm', message_id='7').message_id, '7')
        self.assertEqual(func.Document.from_json('{"id": "d"}')['id'], 'd')
        self.assertEqual(len(func.DocumentList([func.Document(), func.Document()])), 2)
        self.assertEqual(func.SqlRow.from_dict({'x': 1}).to_json(), '{"x": 1}')
        self.assertEqual(func.EventGridEvent(id='i', data={'k': 1}, topic='t', subject='s',
                                             event_type='e', event_time=None,
                                             data_version='1').get_json(), {'k': 1})
        self.assertIsInstance(func.WarmUpContext(), func.WarmUpContext)
        with self.assertRaises(TypeError):
            func.QueueMessage(body=b'', colour='blue')


class TableTest(LoaderTestCase):
    """What the loader makes of the triggers of a v2 app."""

    def test_triggers_in_the_table(self):
        self.write('function_app.py', '''
            import azure.functions as func
            app = func.FunctionApp(http_auth_level='anonymous')
            RAN = []

            @app.schedule(schedule='*/1 * * * * *', arg_name='t', run_on_startup=True)
            def tick(t: func.TimerRequest) -> None:
                pass

            @app.warm_up_trigger('w')
            def warm(w, context):
                RAN.append((type(w).__name__, context.function_name))

            @app.queue_trigger(arg_name='m', queue_name='q', connection='C')
            @app.blob_output(arg_name='b', path='p', connection='C')
            def on_queue(m, b):
                pass

            @app.generic_trigger(arg_name='req', type='httpTrigger', route='g/{id}')
            @app.generic_output_binding(arg_name='$return', type='http')
            def gen(req):
                return 'generic ' + req.route_params['id']
            ''')
        table = {e['name']: e for e in self.setup_app()}
        self.assertEqual(table['tick'], {
            'name': 'tick', 'trigger': 'timerTrigger', 'route': None, 'methods': '',
            'auth_level': None, 'is_async': False, 'error': None, 'schedule': '*/1 * * * * *',
            'run_on_startup': True, 'use_monitor': None})
        self.assertEqual((table['warm']['trigger'], table['warm']['route']),
                         ('warmupTrigger', None))
        self.assertEqual((table['on_queue']['trigger'], table['on_queue']['route'],
                          table['on_queue']['error']), ('queueTrigger', None, None))
        self.assertEqual(table['gen'], {
            'name': 'gen', 'trigger': 'httpTrigger', 'route': 'g/{id}', 'methods': '',
            'auth_level': 'anonymous', 'is_async': False, 'error': None})
        self.assertEqual(self.call('gen', route_params={'id': '5'})[2], b'generic 5')
        import sys
        self.assertEqual(sys.modules['function_app'].RAN, [])
        loader.warm_up()
        self.assertEqual(sys.modules['function_app'].RAN, [('WarmUpContext', 'warm')])

    def test_warm_up_failure_is_logged(self):
        self.write('function_app.py', '''
            import azure.functions as func
            app = func.FunctionApp()

            @app.warm_up_trigger('w')
            def warm(w):
                raise RuntimeError('cold')
            ''')
        self.setup_app()
        loader.warm_up()
        errors = self.logs(logging.ERROR)
        self.assertEqual(len(errors), 1)
        self.assertTrue(errors[0].endswith('RuntimeError: cold'), errors[0])


if __name__ == '__main__':
    unittest.main()
