//! Helpers shared by the emulator's tests.
#![allow(dead_code)]

use codearts_auth::{AkSkCredentials, Credentials, PasswordCredentials, TokenScope};
use codearts_emulator::fixture::{
    DEMO_AK, DEMO_DOMAIN, DEMO_PASSWORD, DEMO_PROJECT, DEMO_SK, DEMO_USER,
};
use codearts_emulator::EmulatorHandle;
use codearts_runtime::{ClientBuilder, ServiceClient};

/// A client signing with the demo AK/SK.
pub fn aksk<C: ServiceClient>(emu: &EmulatorHandle) -> C {
    aksk_with::<C>(emu, DEMO_AK, DEMO_SK)
}

/// A client signing with these keys.
pub fn aksk_with<C: ServiceClient>(emu: &EmulatorHandle, ak: &str, sk: &str) -> C {
    ClientBuilder::<C>::new()
        .endpoint(emu.url())
        .credentials(Credentials::AkSk(AkSkCredentials::new(ak, sk).unwrap()))
        .build()
        .unwrap()
}

/// A client getting an IAM token from the emulator with the demo password.
pub fn password<C: ServiceClient>(emu: &EmulatorHandle) -> C {
    password_with::<C>(emu, DEMO_PASSWORD)
}

/// A client getting an IAM token with this password.
pub fn password_with<C: ServiceClient>(emu: &EmulatorHandle, pw: &str) -> C {
    let creds = PasswordCredentials::new(
        DEMO_USER,
        pw,
        DEMO_DOMAIN,
        TokenScope::ProjectName(DEMO_PROJECT.to_owned()),
    )
    .unwrap();
    ClientBuilder::<C>::new()
        .endpoint(emu.url())
        .iam_endpoint(emu.url())
        .credentials(Credentials::Password(creds))
        .build()
        .unwrap()
}

/// An emulator with one pipeline run waiting at a manual review and one running build, and
/// the ids to put in every operation's parameters.
pub struct Seeded {
    /// The emulator.
    pub emu: EmulatorHandle,
    ids: Vec<(&'static str, String)>,
}

impl Seeded {
    /// Starts and seeds an emulator.
    pub async fn start() -> Self {
        use codearts_build::model as bm;
        use codearts_emulator::fixture::DEMO_PROJECT_ID;
        use codearts_pipeline::model as pm;
        let fixture = codearts_emulator::Fixture {
            polls_until_done: Some(1000),
            ..codearts_emulator::Fixture::demo()
        };
        let emu = codearts_emulator::Emulator::builder()
            .fixture(fixture)
            .start()
            .await
            .unwrap();
        let pipeline: codearts_pipeline::PipelineClient = aksk(&emu);
        let pipeline_id =
            pipeline
                .create_pipeline_new(
                    pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID)
                        .set_body(pm::PipelineDTO::new("seed", false, "manual review")),
                )
                .await
                .unwrap()
                .pipeline_id
                .unwrap();
        let run_id = pipeline
            .run_pipeline(pm::RunPipelineRequest::new(DEMO_PROJECT_ID, &pipeline_id))
            .await
            .unwrap()
            .pipeline_run_id
            .unwrap();
        let detail = pipeline
            .show_pipeline_run_detail(pm::ShowPipelineRunDetailRequest::new(
                DEMO_PROJECT_ID,
                &pipeline_id,
            ))
            .await
            .unwrap();
        let job = &detail.stages.as_ref().unwrap()[0].jobs.as_ref().unwrap()[0];
        let job_run_id = job.id.clone().unwrap();
        let step_run_id = job.steps.as_ref().unwrap()[0].id.clone().unwrap();
        let build: codearts_build::BuildClient = aksk(&emu);
        let job_id = build
            .create_build_job(bm::CreateBuildJobRequest::new().set_body(
                bm::CreateBuildJobRequestBody::new("x86", DEMO_PROJECT_ID, "seed", vec![]),
            ))
            .await
            .unwrap()
            .result
            .unwrap()
            .job_id
            .unwrap();
        build
            .run_job(bm::RunJobRequest::new().set_body(bm::RunJobRequestBody::new(&job_id)))
            .await
            .unwrap();
        emu.clear_log();
        Seeded {
            emu,
            ids: vec![
                ("project_id", DEMO_PROJECT_ID.to_owned()),
                ("pipeline_id", pipeline_id),
                ("pipeline_run_id", run_id),
                ("job_run_id", job_run_id),
                ("step_run_id", step_run_id),
                ("job_id", job_id.clone()),
                ("job_ids", job_id),
            ],
        }
    }

    /// The value for a string parameter.
    pub fn str(&self, name: &str) -> String {
        self.ids
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| format!("{name}-1"))
    }

    /// The value for an integer parameter.
    pub fn int(&self, name: &str) -> i64 {
        match name {
            "page_index" | "offset" | "page_no" => 0,
            "page_size" | "limit" | "pageSize" => 10,
            _ => 1,
        }
    }

    /// A sample body with the seeded ids put in.
    pub fn fill(&self, sample: &str) -> serde_json::Value {
        let mut value: serde_json::Value = serde_json::from_str(sample).unwrap();
        self.put_ids(&mut value);
        value
    }

    fn put_ids(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if let Some((_, id)) = self.ids.iter().find(|(name, _)| name == k) {
                        match v {
                            serde_json::Value::String(s) => *s = id.clone(),
                            serde_json::Value::Array(items) => {
                                for item in items.iter_mut().filter(|i| i.is_string()) {
                                    *item = serde_json::Value::String(id.clone());
                                }
                            }
                            _ => {}
                        }
                    } else {
                        self.put_ids(v);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|i| self.put_ids(i)),
            _ => {}
        }
    }
}
