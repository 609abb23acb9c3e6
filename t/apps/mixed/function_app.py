# SPDX-License-Identifier: Apache-2.0
# An app as real ones are: HTTP routes beside a timer, a warm-up function,
# and functions on Azure services (queue, blob) that only Azure can trigger
# (t/decorators.t).  It must import and serve its HTTP routes.
import json
import logging
import os
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

# what the warm-up did in this worker process
WARMED = {}


@app.warm_up_trigger('warmup')
def warm(warmup) -> None:
    WARMED.update(pid=os.getpid(), at=time.time(), context=type(warmup).__name__)
    logging.info('mixed warm-up in pid %d', os.getpid())


@app.route(route='state')
def state(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({'pid': os.getpid(), 'warmed': WARMED,
                                         'now': time.time()}), mimetype='application/json')


@app.route(route='hello/{name}', methods=['GET'])
def hello(req: func.HttpRequest) -> str:
    return f"hello {req.route_params['name']}"


@app.function_name('generic_http')
@app.generic_trigger(arg_name='req', type='httpTrigger', route='generic/{id:int}',
                     methods=['GET', 'POST'])
@app.generic_output_binding(arg_name='$return', type='http')
def generic(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"generic {req.route_params['id']} {req.method}", status_code=202)


@app.schedule(schedule='* * * * * *', arg_name='timer', run_on_startup=False, use_monitor=False)
def tick(timer: func.TimerRequest) -> None:
    logging.info('mixed tick, past due: %s', timer.past_due)


@app.queue_trigger(arg_name='msg', queue_name='orders', connection='AzureWebJobsStorage')
@app.queue_output(arg_name='done', queue_name='orders-done', connection='AzureWebJobsStorage')
def on_order(msg: func.QueueMessage, done: func.Out[str]) -> None:
    done.set(msg.get_body().decode())


@app.blob_trigger(arg_name='blob', path='uploads/{name}', connection='AzureWebJobsStorage')
@app.blob_input(arg_name='template', path='templates/page.html',
                connection='AzureWebJobsStorage')
@app.blob_output(arg_name='copy', path='copies/{name}', connection='AzureWebJobsStorage')
def on_blob(blob: func.InputStream, template: bytes, copy: func.Out[bytes]) -> None:
    copy.set(template + blob.read())


@app.event_hub_message_trigger(arg_name='event', event_hub_name='telemetry',
                               connection='EventHubConnection')
def on_event(event: func.EventHubEvent) -> None:
    logging.info(event.get_body())
