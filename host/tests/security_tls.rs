//! TLS against the real Milvus 2.3.5 with `common.security.tlsMode=1` (`milvus_secure` of
//! scripts/services.sh; a CA and a server certificate for localhost/127.0.0.1 made with
//! openssl): its CA verifies (flag and `MILVUS_CA_CERT`); another host name, an unknown CA and
//! the system roots are refused with a message saying which; `--insecure-skip-verify` connects
//! anyway and says loudly that it did.

mod security_common;

use security_common::*;

const USER: &str = "sec_tls_user";
const PASSWORD: &str = "Sec-Tls-Pw-3e8b";

#[test]
fn the_servers_ca_verifies_and_everything_else_is_refused_with_the_reason() {
    let s = secure();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(create_user(&s, USER, PASSWORD));
    let collection = "sec_tls_data";
    rt.block_on(drop_collection(&s, collection));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dataset(dir, "simple", "200");
    let token = format!("{USER}:{PASSWORD}");
    let auth = [("MILVUS_TOKEN", token.as_str())];

    ok(
        dir,
        &[
            "to-milvus",
            "insert",
            &data,
            "--uri",
            &s.uri,
            "--ca-cert",
            &s.ca,
            "--collection-name",
            collection,
            "--no-progress",
        ],
        &auth,
    );
    let verify = |uri: &str, extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec![
            "to-milvus",
            "verify",
            &data,
            "--level",
            "count",
            "--collection-name",
            collection,
            "--uri",
            uri,
        ];
        args.extend_from_slice(extra);
        let mut all_env = auth.to_vec();
        all_env.extend_from_slice(env);
        run(dir, &args, &all_env)
    };
    let ok_run = verify(&s.uri, &[], &[("MILVUS_CA_CERT", &s.ca)]);
    assert!(ok_run.status.success(), "{}", text(&ok_run));
    // 127.0.0.1 is in the certificate too.
    let by_ip = s.uri.replace("localhost", "127.0.0.1");
    let ip_run = verify(&by_ip, &["--ca-cert", &s.ca], &[]);
    assert!(ip_run.status.success(), "{}", text(&ip_run));

    let refused = |uri: &str, extra: &[&str], expect: &str| {
        let out = verify(uri, extra, &[]);
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(1), "{uri} {extra:?}\n{shown}");
        assert!(
            shown.contains(expect),
            "{uri} {extra:?}: expected `{expect}`\n{shown}"
        );
        assert!(!shown.contains(PASSWORD), "{shown}");
    };
    let wrong_host = s.wrong_host_uri();
    refused(
        &wrong_host,
        &["--ca-cert", &s.ca],
        "not valid for the host name `127.0.0.2`",
    );
    refused(
        &s.uri,
        &["--ca-cert", &s.other_ca],
        "signed by an unknown CA",
    );
    // No --ca-cert: the system roots, which do not know the test CA.
    refused(&s.uri, &[], "signed by an unknown CA");
    // Plain HTTP/2 to a TLS-only server.
    refused(&s.uri.replace("https://", "http://"), &[], "try https://");

    // https:// to the plain Milvus 2.3.5, which does not speak TLS.
    let plain_server = service_uri("MI_MILVUS23_URI").replace("http://", "https://");
    refused(&plain_server, &[], "did not answer TLS");

    // The test-only escape: connects to a name the certificate does not list, and says so.
    let out = verify(&wrong_host, &["--insecure-skip-verify"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("WARNING: --insecure-skip-verify") && stderr.contains("NOT checked"),
        "{stderr}"
    );

    rt.block_on(drop_collection(&s, collection));
}

#[test]
fn tls_flags_are_checked_as_input() {
    let s = secure();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let search = |uri: &str, extra: &[&str]| {
        let mut args = vec![
            "bench",
            "search",
            "--collection",
            "sec_tls_input",
            "--queries",
            "1",
            "--uri",
            uri,
            "--token",
            "root:Milvus",
        ];
        args.extend_from_slice(extra);
        fails(dir, &args, &[], 2)
    };
    let plain = s.uri.replace("https://", "http://");
    let err = search(&plain, &["--ca-cert", &s.ca]);
    assert!(err.contains("https://"), "{err}");
    let missing = dir.join("no-ca.pem").display().to_string();
    let err = search(&s.uri, &["--ca-cert", &missing]);
    assert!(err.contains(&missing), "{err}");
    std::fs::write(dir.join("not.pem"), "hello").unwrap();
    let err = search(&s.uri, &["--ca-cert", "not.pem"]);
    assert!(err.contains("not.pem") && err.contains("PEM"), "{err}");
    // Both at once make no sense.
    search(&s.uri, &["--ca-cert", &s.ca, "--insecure-skip-verify"]);
}
