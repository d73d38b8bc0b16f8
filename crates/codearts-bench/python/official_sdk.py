"""The official Python SDK's reject_manual_review, sequential, for `cargo xtask bench`.

Prints one JSON object: calls, errors, wall_seconds, cpu_seconds (this process's CPU time).
The endpoint is the benchmark's minimal server, which answers without checking signatures.
"""
import argparse
import json
import sys
import time

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
import huaweicloudsdkcodeartspipeline.v2 as p

# The emulator's demo key pair and the seed request's ids (as in the Rust benchmark).
AK = "DEMOAKEMULATOR0000001"
SK = "DEMOSKemulatorSecretKey0000000000000001"
PROJECT = "d80a8a6530324b7bac972cbb8a9f28ec"
PIPELINE = "8bfbd69eac154a0da341705a36294aca"
RUN = "12abeb9da0964cf3bd3ffd6813153e12"
JOB_RUN = "97b4991cf3374d8d96e08b38f79c8827"
STEP_RUN = "6ff8e898026447a9a3eaa592e94b9384"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    args = parser.parse_args()

    config = HttpConfig.get_default_config()
    config.retry_times = 0
    config.timeout = (5, 10)
    client = (p.CodeArtsPipelineClient.new_builder()
              .with_credentials(BasicCredentials(AK, SK, PROJECT))
              .with_endpoint(args.endpoint)
              .with_http_config(config)
              .build())

    def once():
        request = p.RejectManualReviewRequest(
            project_id=PROJECT, pipeline_id=PIPELINE, pipeline_run_id=RUN,
            job_run_id=JOB_RUN, step_run_id=STEP_RUN)
        return client.reject_manual_review(request)

    # The first call sets up the session and its connection: not measured.
    once()

    calls = errors = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    deadline = wall0 + args.max_seconds
    while calls < args.calls and time.perf_counter() < deadline:
        try:
            response = once()
            if not 200 <= response.status_code < 300 or response.success is not True:
                errors += 1
        except Exception:  # noqa: BLE001 - a failed call is counted, the run goes on
            errors += 1
        calls += 1
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    json.dump({"calls": calls, "errors": errors, "wall_seconds": wall, "cpu_seconds": cpu}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
