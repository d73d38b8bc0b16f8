//! Flags, bodies, files and downloads, and what bad input gets.

use codearts_testkit::{Reply, TestServer};

use crate::common::{run, signed, temp_dir};

#[tokio::test(flavor = "multi_thread")]
async fn missing_required_option() {
    let mut cmd = signed();
    cmd.args(["build", "show-project-job-permission", "--project-id", "p1"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("the following required arguments were not provided")
            && out.stderr.contains("--job-id <TEXT>"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_operation() {
    let mut cmd = signed();
    cmd.args(["pipeline", "reject-manual-reveiw"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("unrecognized subcommand 'reject-manual-reveiw'")
            && out.stderr.contains("reject-manual-review"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn integers_are_checked() {
    let mut cmd = signed();
    cmd.args(["build", "show-list-history", "--job-id", "j"])
        .args(["--offset", "zero", "--limit", "10", "--interval", "7"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("invalid value 'zero' for '--offset <INT>'"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn integer_query_parameters_are_sent() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, r#"{"history_records":[]}"#));
    let mut cmd = signed();
    cmd.args(["build", "show-list-history", "--job-id", "j"])
        .args(["--offset", "-1", "--limit", "10", "--interval", "7"])
        .args(["--endpoint", &server.url()]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let seen = server.single_request();
    assert_eq!(seen.path, "/v3/jobs/j/history");
    assert_eq!(seen.raw_query, "interval=7&limit=10&offset=-1");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_json_body() {
    let mut cmd = signed();
    cmd.args(["build", "run-job", "--endpoint", "http://127.0.0.1:9"])
        .args(["--body", "{job_id: 1"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with(
            "error: --body is not valid JSON: key must be a string at line 1 column 2"
        ),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn body_of_the_wrong_shape() {
    let mut cmd = signed();
    cmd.args(["build", "run-job", "--endpoint", "http://127.0.0.1:9"])
        .args([
            "--body",
            r#"{"job_id": "j", "parameter": [{"name": "a", "value": 5}]}"#,
        ]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("field `parameter[0].value`")
            && out.stderr.contains("expected a string"),
        "{}",
        out.stderr
    );

    let mut cmd = signed();
    cmd.args(["build", "run-job", "--endpoint", "http://127.0.0.1:9"])
        .args(["--body", "\"just text\""]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("--body does not have the shape of the request body: invalid type: string \"just text\", expected struct RunJobRequestBody"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn body_from_a_file_and_from_stdin() {
    let server = TestServer::start().await;
    server.reply(Reply::json(
        200,
        r#"{"octopus_job_name":"o","actual_build_number":"7"}"#,
    ));
    server.reply(Reply::json(
        200,
        r#"{"octopus_job_name":"o","actual_build_number":"8"}"#,
    ));
    let dir = temp_dir("body");
    let file = dir.join("body.json");
    std::fs::write(&file, r#"{"job_id":"from-file"}"#).unwrap();

    let mut cmd = signed();
    cmd.args(["build", "run-job", "--endpoint", &server.url()])
        .arg("--body")
        .arg(format!("@{}", file.display()));
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");

    let mut cmd = signed();
    cmd.args([
        "build",
        "run-job",
        "--endpoint",
        &server.url(),
        "--body",
        "-",
    ])
    .write_stdin(r#"{"job_id":"from-stdin","parameter":[{"name":"v","value":"1"}]}"#);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");

    let requests = server.requests();
    assert_eq!(requests[0].path, "/v3/jobs/build");
    assert_eq!(
        requests[0].json(),
        serde_json::json!({"job_id": "from-file"})
    );
    assert_eq!(
        requests[1].json(),
        serde_json::json!({"job_id": "from-stdin", "parameter": [{"name": "v", "value": "1"}]})
    );

    let mut cmd = signed();
    cmd.args(["build", "run-job", "--endpoint", &server.url()])
        .args(["--body", "@/nonexistent/body.json"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("cannot read the file"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn multipart_upload_takes_a_file_and_text_fields() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, r#"{"status":"success"}"#));
    let dir = temp_dir("upload");
    let file = dir.join("release.keystore");
    std::fs::write(&file, b"\x00keystore bytes").unwrap();
    let mut cmd = signed();
    cmd.args(["build", "upload-keystore", "--endpoint", &server.url()])
        .arg("--file")
        .arg(&file)
        .args(["--privacy", "true", "--description", "release key"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let seen = server.single_request();
    assert_eq!(seen.path, "/v2/keystore/upload");
    let parts = seen.multipart();
    let file_part = parts.iter().find(|p| p.name == "file").unwrap();
    let body = String::from_utf8_lossy(&seen.body);
    assert!(
        body.contains(r#"name="file"; filename="release.keystore""#),
        "{body}"
    );
    assert_eq!(file_part.data, b"\x00keystore bytes");
    let privacy = parts.iter().find(|p| p.name == "privacy").unwrap();
    assert_eq!(privacy.data, b"true");

    let mut cmd = signed();
    cmd.args(["build", "upload-keystore", "--privacy", "true"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--file <PATH>"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_part_takes_a_content_type_as_curl_writes_it() {
    let server = TestServer::start().await;
    server.reply(Reply::text(200, "ok"));
    server.reply(Reply::text(200, "ok"));
    let dir = temp_dir("icon");
    let file = dir.join("icon.png");
    std::fs::write(&file, b"\x89PNG").unwrap();
    for arg in [
        format!("{};type=image/png", file.display()),
        file.display().to_string(),
    ] {
        let mut cmd = signed();
        cmd.args([
            "pipeline",
            "upload-plugin-icon",
            "--endpoint",
            &server.url(),
        ])
        .args([
            "--domain-id",
            "d1",
            "--plugin-name",
            "my-plugin",
            "--file",
            &arg,
        ]);
        let out = run(cmd).await;
        assert_eq!(out.code, 0, "{out:?}");
    }
    let requests = server.requests();
    let parts: Vec<_> = requests.iter().map(|r| r.multipart().remove(0)).collect();
    assert_eq!(parts[0].file_name.as_deref(), Some("icon.png"));
    assert_eq!(parts[0].content_type.as_deref(), Some("image/png"));
    assert_eq!(parts[0].data, b"\x89PNG");
    assert_eq!(parts[1].content_type, None, "no type unless one is set");

    let mut cmd = signed();
    cmd.args([
        "pipeline",
        "upload-plugin-icon",
        "--endpoint",
        &server.url(),
    ])
    .args(["--domain-id", "d1", "--plugin-name", "p", "--file"])
    .arg(format!("{};type=png", file.display()));
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("is not a content type"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn downloads_go_to_the_output_file_or_stdout() {
    let server = TestServer::start().await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    server.reply(Reply::bytes(200, "application/octet-stream", bytes.clone()));
    server.reply(Reply::bytes(
        200,
        "application/octet-stream",
        b"to stdout".to_vec(),
    ));
    let dir = temp_dir("download");
    let target = dir.join("out.jks");
    let mut cmd = signed();
    cmd.args(["build", "download-keystore", "--endpoint", &server.url()])
        .args(["--file-name", "release.jks", "--domain-id", "d1"])
        .arg("--output-file")
        .arg(&target);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(std::fs::read(&target).unwrap(), bytes);
    assert!(out.stderr.contains("wrote 70000 bytes"), "{}", out.stderr);

    let mut cmd = signed();
    cmd.args(["build", "download-keystore", "--endpoint", &server.url()])
        .args(["--file-name", "release.jks", "--domain-id", "d1"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "to stdout");
    let requests = server.requests();
    assert_eq!(requests[1].path, "/v3/keystore");
    assert_eq!(requests[1].raw_query, "domain_id=d1&file_name=release.jks");
}

#[tokio::test(flavor = "multi_thread")]
async fn repeatable_array_parameters() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, r#"{}"#));
    let mut cmd = signed();
    cmd.args([
        "pipeline",
        "list-modules-detail",
        "--endpoint",
        &server.url(),
    ])
    .args(["--tags", "a", "--tags", "b c", "--product-line", "pl"])
    .args(["--locations", "x"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let seen = server.single_request();
    let pairs = seen.query_pairs();
    assert!(
        pairs.contains(&("tags", "a")) && pairs.contains(&("tags", "b c")),
        "{pairs:?}"
    );
    assert!(pairs.contains(&("productLine", "pl")), "{pairs:?}");
}
