//! Requests racing each other get the one answer AWS gives (moto_patches/consistency.py).
//! StartExecution is idempotent by name: "If StartExecution is called with the same name and
//! input as a running execution, the call succeeds and return the same response as the
//! original request. If the execution is closed or if the input is different, it returns a 400
//! ExecutionAlreadyExists error" (Step Functions API reference, StartExecution). The fleet's
//! children and a started-again fleet depend on it: a name starts one execution, never two.

use e2e::moto::{moto, unique, ACCOUNT, REGION};

/// A standard state machine that waits long enough to stay RUNNING through the test.
async fn waiting_machine(sfn: &aws_sdk_sfn::Client) -> String {
    let definition =
        r#"{"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 600, "End": true}}}"#;
    sfn.create_state_machine()
        .name(unique("race"))
        .definition(definition)
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/race"))
        .send()
        .await
        .unwrap()
        .state_machine_arn
}

/// Starts `inputs.len()` executions named `name` at the same moment; each start's answer.
async fn start_together(
    sfn: &aws_sdk_sfn::Client,
    machine: &str,
    name: &str,
    inputs: &[String],
) -> Vec<Result<String, String>> {
    let mut starts = tokio::task::JoinSet::new();
    for (i, input) in inputs.iter().enumerate() {
        let start = sfn
            .start_execution()
            .state_machine_arn(machine)
            .name(name)
            .input(input);
        starts.spawn(async move {
            let answer = start.send().await;
            (
                i,
                answer.map(|out| out.execution_arn).map_err(|e| {
                    e.as_service_error()
                        .and_then(|s| aws_sdk_sfn::error::ProvideErrorMetadata::code(s))
                        .unwrap_or("no code")
                        .to_owned()
                }),
            )
        });
    }
    let mut answers = starts.join_all().await;
    answers.sort_by_key(|(i, _)| *i);
    answers.into_iter().map(|(_, a)| a).collect()
}

async fn executions_named(sfn: &aws_sdk_sfn::Client, machine: &str, name: &str) -> usize {
    sfn.list_executions()
        .state_machine_arn(machine)
        .send()
        .await
        .unwrap()
        .executions()
        .iter()
        .filter(|e| e.name() == name)
        .count()
}

#[tokio::test]
async fn one_name_starts_one_execution_however_many_start_it_at_once() {
    let sfn = aws_sdk_sfn::Client::new(&moto().sdk_config(REGION));
    let machine = waiting_machine(&sfn).await;
    for round in 0..10 {
        // The same name and input: every start answers the one execution.
        let name = unique(&format!("same-{round}"));
        let answers = start_together(&sfn, &machine, &name, &vec!["{}".to_owned(); 24]).await;
        let first = answers[0].clone().expect("started");
        assert!(
            answers.iter().all(|a| a.as_ref() == Ok(&first)),
            "{answers:?}"
        );
        assert_eq!(executions_named(&sfn, &machine, &name).await, 1);
        // The same name, each input its own: one starts, every other is refused.
        let name = unique(&format!("other-{round}"));
        let inputs: Vec<String> = (0..24).map(|i| format!(r#"{{"i": {i}}}"#)).collect();
        let answers = start_together(&sfn, &machine, &name, &inputs).await;
        assert_eq!(
            answers.iter().filter(|a| a.is_ok()).count(),
            1,
            "{answers:?}"
        );
        assert!(
            answers
                .iter()
                .filter_map(|a| a.as_ref().err())
                .all(|code| code == "ExecutionAlreadyExists"),
            "{answers:?}"
        );
        assert_eq!(executions_named(&sfn, &machine, &name).await, 1);
    }
}
