use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn unknown_path_is_problem_json_404() {
    let app = spawn_app().await;

    let response = app.get("/no/such/page").await;

    let problem = assert_problem(response, 404).await;
    assert_eq!(problem.problem_type, "/problems/not-found");
    assert_eq!(problem.title, "Not Found");
    assert!(!problem.detail.is_empty());
}

#[tokio::test]
async fn wrong_method_is_problem_json_405() {
    let app = spawn_app().await;

    let response = app
        .client
        .delete(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();

    let problem = assert_problem(response, 405).await;
    assert_eq!(problem.problem_type, "/problems/method-not-allowed");
}
