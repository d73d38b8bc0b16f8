"""Every operation of CodeArts Pipeline and CodeArts Build, built and decoded by Huawei Cloud's
official Python SDK (code we did not write), against the emulator.

Usage: all_operations.py URL

For each operation in OPERATIONS (rendered from spec/ by `cargo xtask codegen`):
- the request is the SDK's own request class, with every required parameter, and a body built
  from the SDK's model classes (found through the SDK's own `openapi_types`) holding every
  required field; a parameter or field the SDK does not know is a failure (spec drift);
- the call is signed with AK/SK by the SDK;
- it must pass authentication (no 401), answer 2xx (so no 5xx), and the SDK's deserializer must
  decode the answer without a conversion warning, knowing every top-level field of it.
Operations with state get fresh objects first (a pipeline run waiting at a review, a running
build), and the state's content is checked on its own: create, show, list, delete.
The last line is `all operations: N/M passed`; the exit status is 1 unless all passed.
"""

import json
import os
import sys
import tempfile
import traceback
import warnings

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.http.formdata import FormFile
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_stream_response import SdkStreamResponse
from huaweicloudsdkcore.warning.warning import TypeConversionWarning
import huaweicloudsdkcodeartsbuild.v3 as b
import huaweicloudsdkcodeartspipeline.v2 as p

URL = sys.argv[1]
AK = "DEMOAKEMULATOR0000001"
SK = "DEMOSKemulatorSecretKey0000000000000001"
PROJECT = "5a1b2c3d4e5f60718293a4b5c6d7e8f9"
REVIEW = '{"stages":[{"name":"Gate","jobs":[{"steps":[{"name":"Manual review"}]}]}]}'
PACKAGES = {"pipeline": p, "build": b}

UPLOAD = os.path.join(tempfile.mkdtemp(prefix="codearts-interop-"), "upload.bin")
with open(UPLOAD, "wb") as f:
    f.write(b"\x00bytes")


def config():
    c = HttpConfig.get_default_config()
    c.retry_times = 0
    c.timeout = (5, 10)
    return c


def make_clients():
    creds = BasicCredentials(AK, SK, PROJECT)
    out = {}
    for name, cls in (("pipeline", p.CodeArtsPipelineClient), ("build", b.CodeArtsBuildClient)):
        out[name] = cls.new_builder().with_credentials(creds).with_endpoint(URL) \
            .with_http_config(config()).build()
    return out


CLIENTS = make_clients()


class Failure(Exception):
    pass


def call(service, method, request):
    """One call through the official client; the answer must be 2xx and decode cleanly."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            response = getattr(CLIENTS[service], method)(request)
        except exceptions.ServiceResponseException as e:
            raise Failure("%s: HTTP %s %s %s" % (method, e.status_code, e.error_code, e.error_msg))
    conversions = [str(w.message) for w in caught if issubclass(w.category, TypeConversionWarning)]
    if conversions:
        raise Failure("%s: the SDK could not convert the answer: %s" % (method, conversions))
    if not 200 <= response.status_code < 300:
        raise Failure("%s: HTTP %s" % (method, response.status_code))
    if isinstance(response, SdkStreamResponse):
        chunks = []
        response.consume_download_stream(lambda stream: chunks.append(stream.content))
        return response
    raw = response.raw_content
    if raw:
        try:
            data = json.loads(raw)
        except ValueError:
            raise Failure("%s: the answer is not JSON: %r" % (method, raw[:200]))
        if isinstance(data, dict):
            known = set(type(response).attribute_map.values())
            unknown = sorted(k for k in data if k not in known)
            if unknown:
                raise Failure("%s: fields the SDK does not know: %s" % (method, unknown))
            missing = [k for k, v in data.items() if v is not None
                       and getattr(response, attr_of(type(response), k)) is None]
            if missing:
                raise Failure("%s: fields the SDK did not decode: %s" % (method, missing))
    return response


def attr_of(klass, wire):
    for attr, w in klass.attribute_map.items():
        if w == wire:
            return attr
    raise Failure("%s has no field %s" % (klass.__name__, wire))


def convert(pkg, typ, value):
    """`value` (wire JSON) as the SDK type named `typ`, built with the SDK's model classes."""
    if typ.startswith("list["):
        return [convert(pkg, typ[5:-1], v) for v in value]
    if typ.startswith("dict("):
        inner = typ[typ.index(",") + 1:-1].strip()
        return {k: convert(pkg, inner, v) for k, v in value.items()}
    if typ == "file":
        return FormFile(UPLOAD)
    if typ in ("str", "int", "float", "bool", "object", "date", "datetime"):
        return value
    klass = getattr(pkg, typ)
    if not klass.openapi_types:
        return value
    kwargs = {}
    for wire, v in value.items():
        kwargs[attr_of(klass, wire)] = convert(pkg, klass.openapi_types[attr_of(klass, wire)], v)
    return klass(**kwargs)


def fresh():
    """New objects for an operation with state: ids by parameter name."""
    made = call("pipeline", "create_pipeline_new", p.CreatePipelineNewRequest(
        project_id=PROJECT, body=p.PipelineDTO(name="all-ops", is_publish=False, definition=REVIEW)))
    pid = made.pipeline_id
    rid = call("pipeline", "run_pipeline", p.RunPipelineRequest(
        project_id=PROJECT, pipeline_id=pid, body=p.RunPipelineDTO())).pipeline_run_id
    detail = call("pipeline", "show_pipeline_run_detail", p.ShowPipelineRunDetailRequest(
        project_id=PROJECT, pipeline_id=pid, pipeline_run_id=rid))
    job = detail.stages[0].jobs[0]
    jid = call("build", "create_build_job", b.CreateBuildJobRequest(body=b.CreateBuildJobRequestBody(
        arch="x86", project_id=PROJECT, job_name="all-ops-%s" % rid[:8], steps=[]))).result.job_id
    call("build", "run_job", b.RunJobRequest(body=b.RunJobRequestBody(job_id=jid)))
    return {
        "project_id": PROJECT, "pipeline_id": pid, "pipeline_run_id": rid,
        "job_run_id": job.id, "step_run_id": job.steps[0].id,
        "job_id": jid, "job_ids": jid,
    }


def string_for(wire, ids):
    return ids.get(wire, "%s-1" % wire)


def int_for(wire):
    if wire in ("page_index", "offset", "page_no"):
        return 0
    if wire in ("page_size", "limit", "pageSize"):
        return 10
    return 1


def put_ids(value, ids):
    """The body with the ids of existing objects where a field is named like one."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ids and isinstance(v, str):
                out[k] = ids[k]
            elif k in ids and isinstance(v, list) and all(isinstance(i, str) for i in v):
                out[k] = [ids[k] for _ in v]
            else:
                out[k] = put_ids(v, ids)
        return out
    if isinstance(value, list):
        return [put_ids(v, ids) for v in value]
    return value


def request_for(op, ids):
    pkg = PACKAGES[op["service"]]
    klass = getattr(pkg, op["request"])
    kwargs = {}
    for attr, wire, typ in op["params"]:
        if attr not in klass.openapi_types:
            raise Failure("%s: the SDK's %s has no parameter %s" % (op["op"], op["request"], attr))
        one = {"str": lambda: string_for(wire, ids), "int": lambda: int_for(wire),
               "float": lambda: 1.5, "bool": lambda: True}
        if typ.startswith("list:"):
            kwargs[attr] = [one[typ[5:]]()]
        else:
            kwargs[attr] = one[typ]()
    if op["body"] is not None:
        attr = op.get("body_attr", "body")
        if attr not in klass.openapi_types:
            raise Failure("%s: the SDK's %s has no body" % (op["op"], op["request"]))
        kwargs[attr] = convert(pkg, klass.openapi_types[attr], put_ids(op["body"], ids))
    return klass(**kwargs)


def content_checks():
    """The state's answers: create, show, list, run, delete; for pipelines and build jobs."""
    made = call("pipeline", "create_pipeline_new", p.CreatePipelineNewRequest(
        project_id=PROJECT, body=p.PipelineDTO(name="content", is_publish=False, definition=REVIEW)))
    pid = made.pipeline_id
    assert len(pid) == 32, pid
    shown = call("pipeline", "show_pipeline_detail", p.ShowPipelineDetailRequest(
        project_id=PROJECT, pipeline_id=pid))
    assert shown.name == "content", shown.name
    listed = call("pipeline", "list_pipelines", p.ListPipelinesRequest(
        project_id=PROJECT, body=p.ListPipelineQuery(offset=0, limit=100)))
    assert pid in [x.pipeline_id for x in listed.pipelines], "the new pipeline is listed"
    rid = call("pipeline", "run_pipeline", p.RunPipelineRequest(
        project_id=PROJECT, pipeline_id=pid, body=p.RunPipelineDTO())).pipeline_run_id
    run = call("pipeline", "show_pipeline_run_detail", p.ShowPipelineRunDetailRequest(
        project_id=PROJECT, pipeline_id=pid, pipeline_run_id=rid))
    assert run.status == "RUNNING", run.status
    job = run.stages[0].jobs[0]
    call("pipeline", "reject_manual_review", p.RejectManualReviewRequest(
        project_id=PROJECT, pipeline_id=pid, pipeline_run_id=rid, job_run_id=job.id,
        step_run_id=job.steps[0].id, approval_description="not today"))
    run = call("pipeline", "show_pipeline_run_detail", p.ShowPipelineRunDetailRequest(
        project_id=PROJECT, pipeline_id=pid, pipeline_run_id=rid))
    assert run.status == "FAILED", run.status
    call("pipeline", "delete_pipeline", p.DeletePipelineRequest(project_id=PROJECT, pipeline_id=pid))
    try:
        call("pipeline", "show_pipeline_detail", p.ShowPipelineDetailRequest(
            project_id=PROJECT, pipeline_id=pid))
        raise AssertionError("a deleted pipeline is still shown")
    except Failure as e:
        assert "HTTP 404" in str(e), e

    jid = call("build", "create_build_job", b.CreateBuildJobRequest(body=b.CreateBuildJobRequestBody(
        arch="x86", project_id=PROJECT, job_name="content-job", steps=[]))).result.job_id
    info = call("build", "show_job_info", b.ShowJobInfoRequest(job_id=jid))
    assert info.result.job_name == "content-job", info.result
    jobs = call("build", "list_project_jobs", b.ListProjectJobsRequest(
        project_id=PROJECT, page_index=0, page_size=100))
    assert jid in [j.id for j in jobs.jobs], "the new job is listed"
    run = call("build", "run_job", b.RunJobRequest(body=b.RunJobRequestBody(job_id=jid)))
    assert run.actual_build_number == "1", run.actual_build_number
    history = call("build", "show_list_history", b.ShowListHistoryRequest(
        job_id=jid, offset=0, limit=10, interval=0))
    assert [h.build_number for h in history.history_records] == [1], history.history_records
    call("build", "delete_build_job", b.DeleteBuildJobRequest(job_id=jid))
    try:
        call("build", "show_job_info", b.ShowJobInfoRequest(job_id=jid))
        raise AssertionError("a deleted job is still shown")
    except Failure as e:
        assert "HTTP 404" in str(e), e


def main():
    failures = []
    try:
        content_checks()
        print("content checks: create, show, list, run, decide, delete: ok")
    except (AssertionError, Failure, AttributeError, TypeError) as e:
        failures.append(("content checks", "%s\n%s" % (e, traceback.format_exc())))
    try:
        base = fresh()
    except Failure as e:
        print("FAILED making the objects the operations act on: %s" % e)
        print("all operations: 0/%d passed" % len(OPERATIONS))
        sys.exit(1)
    passed = 0
    for op in OPERATIONS:
        try:
            ids = fresh() if op["state"] else base
            call(op["service"], op["op"], request_for(op, ids))
            passed += 1
        except Failure as e:
            failures.append((op["op"], str(e)))
        except Exception as e:  # a bug in the request building or the SDK: say which op
            failures.append((op["op"], "%s: %s" % (type(e).__name__, e)))
    for name, why in failures:
        print("FAILED %s: %s" % (name, why))
    print("all operations: %d/%d passed" % (passed, len(OPERATIONS)))
    sys.exit(0 if not failures else 1)
