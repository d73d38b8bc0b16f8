//! The core flows, driven by our SDK through the emulator, with AK/SK and with IAM tokens.

mod common;

use codearts_build::model as bm;
use codearts_build::BuildClient;
use codearts_emulator::fixture::DEMO_PROJECT_ID;
use codearts_emulator::Emulator;
use codearts_pipeline::model as pm;
use codearts_pipeline::PipelineClient;

const DEFINITION: &str = r#"{"stages":[{"name":"Gate","jobs":[{"name":"Release approval","steps":[{"name":"Manual review","task":"official_devcloud_manualReview"}]}]}]}"#;

async fn review_flow(client: &PipelineClient, refuse: bool) {
    let created = client
        .create_pipeline_new(
            pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID)
                .set_body(pm::PipelineDTO::new("release", false, DEFINITION)),
        )
        .await
        .unwrap();
    let pipeline_id = created.pipeline_id.unwrap();

    let run = client
        .run_pipeline(pm::RunPipelineRequest::new(DEMO_PROJECT_ID, &pipeline_id))
        .await
        .unwrap();
    let run_id = run.pipeline_run_id.unwrap();

    let detail = client
        .show_pipeline_run_detail(
            pm::ShowPipelineRunDetailRequest::new(DEMO_PROJECT_ID, &pipeline_id)
                .set_pipeline_run_id(&run_id),
        )
        .await
        .unwrap();
    assert_eq!(detail.status.as_deref(), Some("RUNNING"));
    let stage = &detail.stages.as_ref().unwrap()[0];
    let job = &stage.jobs.as_ref().unwrap()[0];
    let step = &job.steps.as_ref().unwrap()[0];
    assert_eq!(step.status.as_deref(), Some("PENDING"));
    let (job_run_id, step_run_id) = (job.id.clone().unwrap(), step.id.clone().unwrap());

    if refuse {
        let refused = client
            .reject_manual_review(
                pm::RejectManualReviewRequest::new(
                    DEMO_PROJECT_ID,
                    &pipeline_id,
                    &run_id,
                    &job_run_id,
                    &step_run_id,
                )
                .set_approval_description("failed the security scan"),
            )
            .await
            .unwrap();
        assert_eq!(refused.success, Some(true));
    } else {
        let passed = client
            .accept_manual_review(pm::AcceptManualReviewRequest::new(
                DEMO_PROJECT_ID,
                &pipeline_id,
                &run_id,
                &job_run_id,
                &step_run_id,
            ))
            .await
            .unwrap();
        assert_eq!(passed.success, Some(true));
    }
    let after = client
        .show_pipeline_run_detail(
            pm::ShowPipelineRunDetailRequest::new(DEMO_PROJECT_ID, &pipeline_id)
                .set_pipeline_run_id(&run_id),
        )
        .await
        .unwrap();
    let want = if refuse { "FAILED" } else { "COMPLETED" };
    assert_eq!(after.status.as_deref(), Some(want));
    let step = &after.stages.unwrap()[0].jobs.as_ref().unwrap()[0]
        .steps
        .as_ref()
        .unwrap()[0]
        .clone();
    assert_eq!(step.status.as_deref(), Some(want));
    if refuse {
        assert!(step.message.as_deref().unwrap().contains("refused"));
    }

    // Deciding again: the step is no longer waiting.
    let again = client
        .reject_manual_review(pm::RejectManualReviewRequest::new(
            DEMO_PROJECT_ID,
            &pipeline_id,
            &run_id,
            &job_run_id,
            &step_run_id,
        ))
        .await
        .unwrap_err();
    assert_eq!(again.http_status_code(), Some(400));
    assert_eq!(again.error_code(), Some("EMU.40005"));
}

#[tokio::test]
async fn refuse_a_manual_review_with_aksk() {
    let emu = Emulator::builder().start().await.unwrap();
    review_flow(&common::aksk(&emu), true).await;
    let log = emu.log();
    let reject = log
        .iter()
        .find(|e| e.op.as_deref() == Some("reject_manual_review"))
        .unwrap();
    assert!(reject.applied);
    assert_eq!(reject.status, 200);
}

#[tokio::test]
async fn refuse_a_manual_review_with_an_iam_token() {
    let emu = Emulator::builder().start().await.unwrap();
    review_flow(&common::password(&emu), true).await;
    assert!(emu
        .log()
        .iter()
        .any(|e| e.op.as_deref() == Some("keystone_create_user_token_by_password")));
}

#[tokio::test]
async fn pass_a_manual_review() {
    let emu = Emulator::builder().start().await.unwrap();
    review_flow(&common::aksk(&emu), false).await;
}

#[tokio::test]
async fn pipelines_list_show_run_stop_delete() {
    let emu = Emulator::builder().start().await.unwrap();
    let client: PipelineClient = common::aksk(&emu);
    let mut ids = Vec::new();
    for i in 0..5 {
        let c =
            client
                .create_pipeline_new(
                    pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID)
                        .set_body(pm::PipelineDTO::new(format!("p{i}"), false, "{}")),
                )
                .await
                .unwrap();
        ids.push(c.pipeline_id.unwrap());
    }
    let page = client
        .list_pipelines(
            pm::ListPipelinesRequest::new(DEMO_PROJECT_ID)
                .set_body(pm::ListPipelineQuery::new().set_offset(2).set_limit(2)),
        )
        .await
        .unwrap();
    assert_eq!(page.total, Some(5));
    let names: Vec<_> = page
        .pipelines
        .unwrap()
        .into_iter()
        .map(|p| p.pipeline_id.unwrap())
        .collect();
    assert_eq!(names.len(), 2);

    let detail = client
        .show_pipeline_detail(pm::ShowPipelineDetailRequest::new(DEMO_PROJECT_ID, &ids[0]))
        .await
        .unwrap();
    assert_eq!(detail.name.as_deref(), Some("p0"));

    // No review: the run completes at once.
    let run = client
        .run_pipeline(pm::RunPipelineRequest::new(DEMO_PROJECT_ID, &ids[0]))
        .await
        .unwrap();
    let d = client
        .show_pipeline_run_detail(pm::ShowPipelineRunDetailRequest::new(
            DEMO_PROJECT_ID,
            &ids[0],
        ))
        .await
        .unwrap();
    assert_eq!(d.id, run.pipeline_run_id);
    assert_eq!(d.status.as_deref(), Some("COMPLETED"));
    let stop = client
        .stop_pipeline_run(pm::StopPipelineRunRequest::new(
            DEMO_PROJECT_ID,
            &ids[0],
            d.id.as_deref().unwrap(),
        ))
        .await
        .unwrap_err();
    assert_eq!(stop.http_status_code(), Some(400));

    // Deleting one leaves the others.
    client
        .delete_pipeline(pm::DeletePipelineRequest::new(DEMO_PROJECT_ID, &ids[1]))
        .await
        .unwrap();
    let gone = client
        .show_pipeline_detail(pm::ShowPipelineDetailRequest::new(DEMO_PROJECT_ID, &ids[1]))
        .await
        .unwrap_err();
    assert_eq!(gone.http_status_code(), Some(404));
    for id in [&ids[0], &ids[2], &ids[3], &ids[4]] {
        client
            .show_pipeline_detail(pm::ShowPipelineDetailRequest::new(DEMO_PROJECT_ID, id))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn runs_stay_running_for_the_configured_polls_and_can_be_stopped() {
    let fixture = codearts_emulator::Fixture {
        polls_until_done: Some(3),
        ..codearts_emulator::Fixture::demo()
    };
    let emu = Emulator::builder().fixture(fixture).start().await.unwrap();
    let client: PipelineClient = common::aksk(&emu);
    let id = client
        .create_pipeline_new(
            pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID)
                .set_body(pm::PipelineDTO::new("slow", false, "{}")),
        )
        .await
        .unwrap()
        .pipeline_id
        .unwrap();
    let show = || {
        client.show_pipeline_run_detail(pm::ShowPipelineRunDetailRequest::new(DEMO_PROJECT_ID, &id))
    };
    client
        .run_pipeline(pm::RunPipelineRequest::new(DEMO_PROJECT_ID, &id))
        .await
        .unwrap();
    assert_eq!(show().await.unwrap().status.as_deref(), Some("RUNNING"));
    assert_eq!(show().await.unwrap().status.as_deref(), Some("RUNNING"));
    assert_eq!(show().await.unwrap().status.as_deref(), Some("COMPLETED"));

    let run = client
        .run_pipeline(pm::RunPipelineRequest::new(DEMO_PROJECT_ID, &id))
        .await
        .unwrap()
        .pipeline_run_id
        .unwrap();
    client
        .stop_pipeline_run(pm::StopPipelineRunRequest::new(DEMO_PROJECT_ID, &id, &run))
        .await
        .unwrap();
    assert_eq!(show().await.unwrap().status.as_deref(), Some("CANCELED"));
}

async fn build_flow(client: &BuildClient) {
    let body = bm::CreateBuildJobRequestBody::new(
        "x86",
        DEMO_PROJECT_ID,
        "backend",
        vec![bm::CreateBuildJobSteps::new(
            "devcloud2018.codeci_action_20057.action",
            "Maven build",
        )],
    );
    let created = client
        .create_build_job(bm::CreateBuildJobRequest::new().set_body(body))
        .await
        .unwrap();
    let job_id = created.result.unwrap().job_id.unwrap();

    let perm = client
        .show_project_job_permission(bm::ShowProjectJobPermissionRequest::new(
            DEMO_PROJECT_ID,
            &job_id,
        ))
        .await
        .unwrap()
        .result
        .unwrap();
    assert_eq!(perm.role_id, Some(3));
    assert_eq!(perm.is_execute, Some(true));

    // Take execute away from the caller's role, then grant it back.
    for grant in [false, true] {
        client
            .batch_update_job_role_permission(
                bm::BatchUpdateJobRolePermissionRequest::new().set_body(
                    bm::RolePermissionsRequestBody::new()
                        .set_project_id(DEMO_PROJECT_ID)
                        .set_job_ids(vec![job_id.clone()])
                        .set_permissions(vec![bm::JobRolePermission::new()
                            .set_role_id(3)
                            .set_is_execute(grant)]),
                ),
            )
            .await
            .unwrap();
        let perm = client
            .show_project_job_permission(bm::ShowProjectJobPermissionRequest::new(
                DEMO_PROJECT_ID,
                &job_id,
            ))
            .await
            .unwrap()
            .result
            .unwrap();
        assert_eq!(perm.is_execute, Some(grant));
        assert_eq!(perm.is_view, Some(true));
        let run = client
            .run_job(bm::RunJobRequest::new().set_body(bm::RunJobRequestBody::new(&job_id)))
            .await;
        match grant {
            false => assert_eq!(run.unwrap_err().http_status_code(), Some(403)),
            true => assert_eq!(run.unwrap().actual_build_number.as_deref(), Some("1")),
        }
    }
    let status = client
        .show_job_status(bm::ShowJobStatusRequest::new(&job_id))
        .await
        .unwrap();
    assert_eq!(status.result, Some(false));
    let history = client
        .show_list_history(bm::ShowListHistoryRequest::new(&job_id, 0, 10, 0))
        .await
        .unwrap();
    assert_eq!(history.total, Some(1));
    assert_eq!(
        history.history_records.unwrap()[0].result.as_deref(),
        Some("SUCCESS")
    );
    let list = client
        .show_job_list_by_project_id(bm::ShowJobListByProjectIdRequest::new(
            DEMO_PROJECT_ID,
            0,
            10,
        ))
        .await
        .unwrap();
    assert_eq!(list.total, Some(1));
    let info = client
        .show_job_info(bm::ShowJobInfoRequest::new(&job_id))
        .await
        .unwrap();
    assert_eq!(info.result.unwrap().job_name.as_deref(), Some("backend"));
    let config = client
        .list_job_config(bm::ListJobConfigRequest::new(&job_id))
        .await
        .unwrap();
    assert_eq!(config.result.unwrap().steps.len(), 1);
    client
        .delete_build_job(bm::DeleteBuildJobRequest::new(&job_id))
        .await
        .unwrap();
    let gone = client
        .show_job_info(bm::ShowJobInfoRequest::new(&job_id))
        .await
        .unwrap_err();
    assert_eq!(gone.http_status_code(), Some(404));
}

#[tokio::test]
async fn build_job_permissions_with_aksk() {
    let emu = Emulator::builder().start().await.unwrap();
    build_flow(&common::aksk(&emu)).await;
}

#[tokio::test]
async fn build_job_permissions_with_an_iam_token() {
    let emu = Emulator::builder().start().await.unwrap();
    build_flow(&common::password(&emu)).await;
}

#[tokio::test]
async fn builds_can_be_stopped_while_running() {
    let fixture = codearts_emulator::Fixture {
        polls_until_done: Some(5),
        ..codearts_emulator::Fixture::demo()
    };
    let emu = Emulator::builder().fixture(fixture).start().await.unwrap();
    let client: BuildClient = common::aksk(&emu);
    let body = bm::CreateBuildJobRequestBody::new("x86", DEMO_PROJECT_ID, "slow", vec![]);
    let job_id = client
        .create_build_job(bm::CreateBuildJobRequest::new().set_body(body))
        .await
        .unwrap()
        .result
        .unwrap()
        .job_id
        .unwrap();
    client
        .run_job(bm::RunJobRequest::new().set_body(bm::RunJobRequestBody::new(&job_id)))
        .await
        .unwrap();
    let status = client
        .show_job_status(bm::ShowJobStatusRequest::new(&job_id))
        .await
        .unwrap();
    assert_eq!(status.result, Some(true));
    let stopped = client
        .stop_build_job(bm::StopBuildJobRequest::new(&job_id, 1))
        .await
        .unwrap();
    assert_eq!(stopped.success, Some(true));
    let again = client
        .stop_build_job(bm::StopBuildJobRequest::new(&job_id, 1))
        .await
        .unwrap_err();
    assert_eq!(again.http_status_code(), Some(400));
}

#[tokio::test]
async fn concurrent_creates_and_deletes_stay_consistent() {
    let emu = Emulator::builder().start().await.unwrap();
    let client: PipelineClient = common::aksk(&emu);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let id = client
                .create_pipeline_new(
                    pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID)
                        .set_body(pm::PipelineDTO::new(format!("c{i}"), false, "{}")),
                )
                .await
                .unwrap()
                .pipeline_id
                .unwrap();
            if i % 2 == 0 {
                client
                    .delete_pipeline(pm::DeletePipelineRequest::new(DEMO_PROJECT_ID, &id))
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let page = client
        .list_pipelines(
            pm::ListPipelinesRequest::new(DEMO_PROJECT_ID)
                .set_body(pm::ListPipelineQuery::new().set_limit(100)),
        )
        .await
        .unwrap();
    assert_eq!(page.total, Some(8));
}
