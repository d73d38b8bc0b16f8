#!/usr/bin/env python3
"""Drives the emulator with Huawei Cloud's official Python SDK (code we did not write).

Usage: official_sdk.py URL

- AK/SK signing (BasicCredentials, explicit project id so the SDK asks IAM nothing): both seed
  operations and 25 more, every answer decoded by the official client.
- IAM tokens: a token from the official IAM client (KeystoneCreateUserTokenByPassword), the
  project list with it, then service calls carrying it. The official service clients only sign
  with AK/SK; they cannot send a token. The token calls go through the official clients with a
  request handler (an official HttpHandler hook) that removes the signature and adds
  X-Auth-Token just before sending, so the official client still builds every request and
  decodes every answer.
- A wrong SK: every call is refused with 401.
"""

import sys

from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.http.http_handler import HttpHandler
import huaweicloudsdkcodeartspipeline.v2 as p
import huaweicloudsdkcodeartsbuild.v3 as b
import huaweicloudsdkiam.v3 as iam

URL = sys.argv[1]
AK = "DEMOAKEMULATOR0000001"
SK = "DEMOSKemulatorSecretKey0000000000000001"
PROJECT = "5a1b2c3d4e5f60718293a4b5c6d7e8f9"
DOMAIN_ID = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
REVIEW = '{"stages":[{"name":"Gate","jobs":[{"steps":[{"name":"Manual review"}]}]}]}'

calls = {"ok": 0, "refused": 0}


def config():
    c = HttpConfig.get_default_config()
    c.retry_times = 0
    c.timeout = (5, 10)
    return c


def clients(sk=SK, handler=None):
    creds = BasicCredentials(AK, sk, PROJECT)
    out = []
    for cls in (p.CodeArtsPipelineClient, b.CodeArtsBuildClient):
        builder = cls.new_builder().with_credentials(creds).with_endpoint(URL).with_http_config(config())
        if handler is not None:
            builder = builder.with_http_handler(handler)
        out.append(builder.build())
    return out


def call(client, method, request):
    response = getattr(client, method)(request)
    assert 200 <= response.status_code < 300, (method, response.status_code)
    calls["ok"] += 1
    return response


def flows(pc, bc, label):
    """Both seed operations and more, all decoded by the official client."""
    made = call(pc, "create_pipeline_new", p.CreatePipelineNewRequest(
        project_id=PROJECT, body=p.PipelineDTO(name="py-" + label, is_publish=False, definition=REVIEW)))
    pid = made.pipeline_id
    assert pid
    listed = call(pc, "list_pipelines", p.ListPipelinesRequest(
        project_id=PROJECT, body=p.ListPipelineQuery(offset=0, limit=10)))
    assert pid in [x.pipeline_id for x in listed.pipelines], listed
    detail = call(pc, "show_pipeline_detail", p.ShowPipelineDetailRequest(project_id=PROJECT, pipeline_id=pid))
    assert detail.name == "py-" + label
    run = call(pc, "run_pipeline", p.RunPipelineRequest(project_id=PROJECT, pipeline_id=pid, body=p.RunPipelineDTO()))
    rid = run.pipeline_run_id
    d = call(pc, "show_pipeline_run_detail", p.ShowPipelineRunDetailRequest(
        project_id=PROJECT, pipeline_id=pid, pipeline_run_id=rid))
    assert d.status == "RUNNING", d.status
    job = d.stages[0].jobs[0]
    step = job.steps[0]
    assert step.status == "PENDING", step.status
    refused = call(pc, "reject_manual_review", p.RejectManualReviewRequest(
        project_id=PROJECT, pipeline_id=pid, pipeline_run_id=rid, job_run_id=job.id, step_run_id=step.id,
        approval_description="no"))
    assert refused.success is True
    d = call(pc, "show_pipeline_run_detail", p.ShowPipelineRunDetailRequest(
        project_id=PROJECT, pipeline_id=pid, pipeline_run_id=rid))
    assert d.status == "FAILED", d.status
    run2 = call(pc, "run_pipeline", p.RunPipelineRequest(project_id=PROJECT, pipeline_id=pid, body=p.RunPipelineDTO()))
    d2 = call(pc, "show_pipeline_run_detail", p.ShowPipelineRunDetailRequest(
        project_id=PROJECT, pipeline_id=pid, pipeline_run_id=run2.pipeline_run_id))
    j2 = d2.stages[0].jobs[0]
    call(pc, "accept_manual_review", p.AcceptManualReviewRequest(
        project_id=PROJECT, pipeline_id=pid, pipeline_run_id=run2.pipeline_run_id,
        job_run_id=j2.id, step_run_id=j2.steps[0].id))
    run3 = call(pc, "run_pipeline", p.RunPipelineRequest(project_id=PROJECT, pipeline_id=pid, body=p.RunPipelineDTO()))
    call(pc, "stop_pipeline_run", p.StopPipelineRunRequest(
        project_id=PROJECT, pipeline_id=pid, pipeline_run_id=run3.pipeline_run_id))
    # Operations without modelled state: spec-conforming empty answers, decoded.
    call(pc, "list_templates", p.ListTemplatesRequest(template_type="pipeline", is_build_in="true"))
    call(pc, "show_pipleine_status", p.ShowPipleineStatusRequest(pipeline_id=pid, build_id="1"))
    call(pc, "list_pipleine_build_result", p.ListPipleineBuildResultRequest(
        project_id=PROJECT, start_date="2024-01-01", end_date="2024-01-31", offset=0, limit=10))
    call(pc, "delete_pipeline", p.DeletePipelineRequest(project_id=PROJECT, pipeline_id=pid))

    created = call(bc, "create_build_job", b.CreateBuildJobRequest(body=b.CreateBuildJobRequestBody(
        arch="x86", project_id=PROJECT, job_name="py-" + label,
        steps=[b.CreateBuildJobSteps(module_id="devcloud2018.codeci_action_20057.action", name="Maven")])))
    jid = created.result.job_id
    call(bc, "show_job_list_by_project_id", b.ShowJobListByProjectIdRequest(project_id=PROJECT, page_index=0, page_size=10))
    call(bc, "list_project_jobs", b.ListProjectJobsRequest(project_id=PROJECT, page_index=0, page_size=10))
    call(bc, "show_job_info", b.ShowJobInfoRequest(job_id=jid))
    call(bc, "list_job_config", b.ListJobConfigRequest(job_id=jid))
    perm = call(bc, "show_project_job_permission", b.ShowProjectJobPermissionRequest(project_id=PROJECT, job_id=jid))
    assert perm.result.is_execute is True
    call(bc, "batch_update_job_role_permission", b.BatchUpdateJobRolePermissionRequest(
        body=b.RolePermissionsRequestBody(project_id=PROJECT, job_ids=[jid],
                                          permissions=[b.JobRolePermission(role_id=3, is_execute=False)])))
    perm = call(bc, "show_project_job_permission", b.ShowProjectJobPermissionRequest(project_id=PROJECT, job_id=jid))
    assert perm.result.is_execute is False, perm
    call(bc, "batch_update_job_role_permission", b.BatchUpdateJobRolePermissionRequest(
        body=b.RolePermissionsRequestBody(project_id=PROJECT, job_ids=[jid],
                                          permissions=[b.JobRolePermission(role_id=3, is_execute=True)])))
    call(bc, "show_job_role_permission", b.ShowJobRolePermissionRequest(job_id=jid))
    ran = call(bc, "run_job", b.RunJobRequest(body=b.RunJobRequestBody(job_id=jid)))
    assert ran.actual_build_number == "1"
    call(bc, "show_job_status", b.ShowJobStatusRequest(job_id=jid))
    call(bc, "show_list_history", b.ShowListHistoryRequest(job_id=jid, offset=0, limit=10, interval=0))
    call(bc, "list_templates", b.ListTemplatesRequest())
    call(bc, "delete_build_job", b.DeleteBuildJobRequest(job_id=jid))


def iam_token():
    client = (iam.IamClient.new_builder()
              .with_credentials(GlobalCredentials(AK, SK, DOMAIN_ID))
              .with_endpoint(URL).with_http_config(config()).build())
    body = iam.KeystoneCreateUserTokenByPasswordRequestBody(auth=iam.PwdAuth(
        identity=iam.PwdIdentity(methods=["password"], password=iam.PwdPassword(user=iam.PwdPasswordUser(
            domain=iam.PwdPasswordUserDomain(name="demo"), name="demo", password="demo-password"))),
        scope=iam.AuthScope(project=iam.AuthScopeProject(name="demo-project"))))
    r = client.keystone_create_user_token_by_password(iam.KeystoneCreateUserTokenByPasswordRequest(body=body))
    assert r.status_code == 201 and r.x_subject_token and r.token.expires_at, r
    calls["ok"] += 1
    token = r.x_subject_token

    def with_token(**kwargs):
        headers = kwargs["request"].header_params
        for k in list(headers):
            if k.lower() in ("authorization", "x-sdk-date"):
                del headers[k]
        headers["X-Auth-Token"] = token

    handler = HttpHandler().add_request_handler(with_token)
    listed = (iam.IamClient.new_builder().with_credentials(GlobalCredentials(AK, SK, DOMAIN_ID))
              .with_endpoint(URL).with_http_config(config()).with_http_handler(handler).build()
              .keystone_list_projects(iam.KeystoneListProjectsRequest(name="demo-project")))
    assert listed.projects[0].id == PROJECT, listed
    calls["ok"] += 1
    try:
        client.keystone_create_user_token_by_password(iam.KeystoneCreateUserTokenByPasswordRequest(
            body=iam.KeystoneCreateUserTokenByPasswordRequestBody(auth=iam.PwdAuth(
                identity=iam.PwdIdentity(methods=["password"], password=iam.PwdPassword(user=iam.PwdPasswordUser(
                    domain=iam.PwdPasswordUserDomain(name="demo"), name="demo", password="wrong"))),
                scope=iam.AuthScope(project=iam.AuthScopeProject(name="demo-project"))))))
        raise AssertionError("a wrong password was accepted")
    except exceptions.ClientRequestException as e:
        assert e.status_code == 401, e
    return handler


def wrong_sk():
    pc, bc = clients(sk="WRONG" + SK)
    attempts = [
        (pc, "list_pipelines", p.ListPipelinesRequest(project_id=PROJECT, body=p.ListPipelineQuery())),
        (pc, "reject_manual_review", p.RejectManualReviewRequest(
            project_id=PROJECT, pipeline_id="x", pipeline_run_id="x", job_run_id="x", step_run_id="x")),
        (pc, "list_templates", p.ListTemplatesRequest(template_type="pipeline", is_build_in="true")),
        (bc, "show_project_job_permission", b.ShowProjectJobPermissionRequest(project_id=PROJECT, job_id="x")),
        (bc, "create_build_job", b.CreateBuildJobRequest(body=b.CreateBuildJobRequestBody(
            arch="x86", project_id=PROJECT, job_name="never", steps=[]))),
        (bc, "list_templates", b.ListTemplatesRequest()),
    ]
    for client, method, request in attempts:
        try:
            getattr(client, method)(request)
            raise AssertionError(method + " was accepted with a wrong SK")
        except exceptions.ClientRequestException as e:
            assert e.status_code == 401 and e.error_code == "APIGW.0304", (method, e)
            calls["refused"] += 1


def main():
    pc, bc = clients()
    flows(pc, bc, "aksk")
    handler = iam_token()
    # A wrong SK: only the token can make these calls succeed.
    tpc, tbc = clients(sk="WRONG" + SK, handler=handler)
    flows(tpc, tbc, "token")
    wrong_sk()
    print("official SDK interop: %d calls answered and decoded, %d refused with a wrong SK"
          % (calls["ok"], calls["refused"]))


if __name__ == "__main__":
    main()
