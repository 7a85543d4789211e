use crate::helpers::spawn_app;

#[tokio::test]
async fn openapi_json_is_served() {
    let app = spawn_app().await;

    let response = app.get_openapi().await;

    assert_eq!(response.status().as_u16(), 200);
    let spec: serde_json::Value = response.json().await.unwrap();
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3."),
        "{spec}"
    );
    assert_eq!(spec["info"]["version"], env!("CARGO_PKG_VERSION"));
    let healthz = &spec["paths"]["/healthz"]["get"];
    assert!(healthz["summary"].is_string(), "{healthz}");
    assert!(
        healthz["responses"]["200"]["description"].is_string(),
        "{healthz}"
    );
}

#[tokio::test]
async fn docs_page_is_served() {
    let app = spawn_app().await;

    let response = app.get("/docs").await;

    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("swagger"), "{page}");
}
