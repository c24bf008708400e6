//! What a job on a session may set, and the jar the operator must be able to fetch for it
//! (operator release-1.15.0: `DefaultValidator.validateSessionJob`, `validateJarURI`,
//! `AbstractFlinkService.runJar`).

use std::net::IpAddr;

use crate::diagnostic::Diagnostic;
use crate::field_path::FieldPath;
use crate::kinds::flink_job::configuration::{DERIVED_FLINK_KEYS, FORBIDDEN_FLINK_KEYS};
use crate::kinds::flink_job::version::FlinkVersion;
use crate::kinds::flink_job::{Autoscaling, FlinkJobSpec, JobType, Resources, Rollout};
use crate::validate::Place;

pub type Problems = Vec<Diagnostic>;

/// The session a job names, as its errors quote it.
#[derive(Debug, Clone, Copy)]
pub struct SessionRef<'a> {
    pub name: &'a str,
    /// Root-relative path of the FlinkSession's file.
    pub source: &'a str,
    pub version: FlinkVersion,
}

impl SessionRef<'_> {
    fn owns(&self, field: &str) -> String {
        format!(
            "set {field} on FlinkSession \"{}\" ({}), or leave out spec.session to give the job a cluster of its own",
            self.name, self.source
        )
    }
}

/// The operator's default `kubernetes.operator.user.artifacts.allowed-schemes`.
pub const DEFAULT_JAR_SCHEMES: [&str; 1] = ["https"];

/// `flinkConfiguration` key prefixes that configure a cluster rather than a job: Flink reads
/// them when its processes start, so on a session they belong to the FlinkSession.
pub const CLUSTER_KEY_PREFIXES: [&str; 14] = [
    "kubernetes.",
    "taskmanager.",
    "jobmanager.memory.",
    "jobmanager.rpc.",
    "high-availability",
    "metrics.reporter",
    "env.",
    "containerized.",
    "resourcemanager.",
    "slotmanager.",
    "blob.",
    "rest.",
    "akka.",
    "pekko.",
];

/// Whether `key` configures the cluster (operator keys, `kubernetes.operator.*`, are per
/// resource and stay with the job).
pub fn is_cluster_key(key: &str) -> bool {
    !key.starts_with("kubernetes.operator.")
        && CLUSTER_KEY_PREFIXES
            .iter()
            .any(|prefix| key.starts_with(prefix))
}

/// A fixed session's slots, `taskManagers × slots`, must fit the int32 the operator and
/// Kubernetes count them in (the capacity check and `kiln status` multiply them).
pub fn size(place: Place, task_managers: u32, slots: u32) -> Problems {
    let total = u64::from(task_managers) * u64::from(slots);
    if total <= u64::from(i32::MAX.unsigned_abs()) {
        return Vec::new();
    }
    vec![place.error(
        "spec.taskManagers",
        format!(
            "{task_managers} TaskManagers x {slots} slots = {total} task slots; Kubernetes and the operator take at most {}",
            i32::MAX
        ),
    )]
}

/// What a job on `session` may not have: a program the operator cannot submit to a session,
/// and everything the session owns for all its jobs.
pub fn on_session(place: Place, spec: &FlinkJobSpec, session: SessionRef<'_>) -> Problems {
    let mut problems = Vec::new();
    match spec.job_type {
        JobType::Jar => {}
        JobType::Python => problems.push(
            place
                .error(
                    "spec.type",
                    format!(
                        "a python job cannot run on session \"{}\": its driver is the flink-python jar inside an image (local://), and the operator submits a session job by downloading its jar from a URL and uploading it to the session",
                        session.name
                    ),
                )
                .with_hint("only jar jobs with a downloadable jar run on a session; leave out spec.session to give this job a cluster of its own"),
        ),
        JobType::Sql => problems.push(
            place
                .error(
                    "spec.type",
                    format!(
                        "a sql job cannot run on session \"{}\": kiln runs its script from a ConfigMap mounted into the job's own pods with a local:// driver jar, and a session's pods are shared and its jobs' jars downloaded from a URL",
                        session.name
                    ),
                )
                .with_hint("only jar jobs with a downloadable jar run on a session; leave out spec.session to give this job a cluster of its own"),
        ),
    }
    let owned: [(&str, bool); 7] = [
        ("spec.flinkVersion", spec.flink_version.is_some()),
        ("spec.image", spec.image.is_some()),
        ("spec.serviceAccount", spec.service_account.is_some()),
        ("spec.resources", spec.resources != Resources::default()),
        ("spec.highAvailability", spec.high_availability.is_some()),
        ("spec.env", spec.env.is_some()),
        ("spec.podTemplate", spec.pod_template.is_some()),
    ];
    for (field, set) in owned {
        if set {
            let short = field.trim_start_matches("spec.");
            problems.push(
                place
                    .error(
                        field,
                        format!(
                            "{short} is the session's: a job on session \"{}\" runs in its pods",
                            session.name
                        ),
                    )
                    .with_hint(session.owns(short)),
            );
        }
    }
    if spec.autoscaling != Autoscaling::default() {
        problems.push(
            place
                .error(
                    "spec.autoscaling",
                    format!(
                        "a job on session \"{}\" has no TaskManagers of its own to scale: the session's are shared by its jobs",
                        session.name
                    ),
                )
                .with_hint(format!(
                    "size the session with taskManagers in {}, or leave out spec.session to give the job a cluster of its own",
                    session.source
                )),
        );
    }
    if spec.rollout == Rollout::BlueGreen {
        problems.push(
            place
                .error(
                    "spec.rollout",
                    format!(
                        "blue/green deploys a cluster per job (FlinkBlueGreenDeployment); this job runs on session \"{}\"",
                        session.name
                    ),
                )
                .with_hint("use rollout: rolling, or leave out spec.session"),
        );
    }
    // Keys kiln derives or the operator owns have their own error (rules::configuration_keys).
    let reported = |key: &str| {
        FORBIDDEN_FLINK_KEYS.contains(&key) || DERIVED_FLINK_KEYS.iter().any(|(k, _)| *k == key)
    };
    for key in spec
        .flink_configuration
        .keys()
        .filter(|k| is_cluster_key(k) && !reported(k))
    {
        problems.push(
            place
                .at_key(
                    FieldPath::parse("spec.flinkConfiguration").key(key),
                    Diagnostic::error(format!(
                        "\"{key}\" configures the cluster, not a job: Flink reads it when the session starts"
                    )),
                )
                .with_hint(session.owns("it")),
        );
    }
    if !session.version.at_least(1, 17) {
        let own_configuration = spec.checkpoints.is_some()
            || spec
                .flink_configuration
                .keys()
                .any(|k| !k.starts_with("kubernetes.operator.") && !is_cluster_key(k));
        if own_configuration {
            let at = if spec.checkpoints.is_some() {
                "spec.checkpoints"
            } else {
                "spec.flinkConfiguration"
            };
            problems.push(
                place
                    .error(
                        at,
                        format!(
                            "the operator passes a session job's Flink configuration to Flink from 1.17 on; session \"{}\" runs Flink {}",
                            session.name, session.version
                        ),
                    )
                    .with_hint(session.owns("it")),
            );
        }
    }
    problems
}

/// A session job's jar: the operator downloads it in its own pod and uploads it to the
/// session, and refuses a scheme outside `allowed` (its allow-list; `https` by default) or an
/// http(s) host that is a loopback, link-local, private, wildcard or multicast address.
/// Names are resolved by the operator; kiln checks literal addresses and `localhost`.
pub fn jar_uri(place: Place, uri: &str, allowed: &[String]) -> Problems {
    let at = "spec.jar.uri";
    let Some((scheme, rest)) = uri.split_once(':') else {
        return vec![place.error(
            at,
            format!("\"{uri}\" has no scheme; a session job's jar is downloaded from a URL"),
        )];
    };
    let allowed_list = allowed.join(", ");
    if !allowed.iter().any(|a| a.eq_ignore_ascii_case(scheme)) {
        let why = if scheme.eq_ignore_ascii_case("local") {
            " (local:// names a file inside a job's own image; a session job has none)"
        } else {
            ""
        };
        return vec![
            place
                .error(
                    at,
                    format!(
                        "the operator downloads a session job's jar and allows the schemes {allowed_list}; \"{uri}\" is {scheme}{why}"
                    ),
                )
                .with_hint("publish the jar at an https URL, or, if your operator allows more schemes (kubernetes.operator.user.artifacts.allowed-schemes), list them in kiln.yaml defaults.flink.sessionJarSchemes"),
        ];
    }
    if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
        let authority = rest
            .trim_start_matches("//")
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default();
        let host_port = authority.rsplit('@').next().unwrap_or_default();
        let host = match host_port.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => host_port.split(':').next().unwrap_or_default(),
        };
        if host.is_empty() {
            return vec![place.error(at, format!("\"{uri}\" has no host"))];
        }
        if restricted(host) {
            return vec![
                place
                    .error(
                        at,
                        format!(
                            "the operator refuses a session job's jar from {host}: a loopback, link-local, private, wildcard or multicast address"
                        ),
                    )
                    .with_hint("its kubernetes.operator.user.artifacts.disallow-restricted-hosts (default true) guards the operator's own network"),
            ];
        }
    }
    Vec::new()
}

/// A host the operator's `disallow-restricted-hosts` rule refuses, as far as it is known
/// without resolving a name.
fn restricted(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => {
            ip.is_loopback()
                || ip.is_link_local()
                || ip.is_private()
                || ip.is_unspecified()
                || ip.is_multicast()
        }
        Ok(IpAddr::V6(ip)) => {
            // Java's isSiteLocalAddress is fec0::/10; isLinkLocalAddress fe80::/10.
            let first = ip.segments()[0];
            ip.is_loopback()
                || ip.is_unspecified()
                || ip.is_multicast()
                || (first & 0xffc0) == 0xfe80
                || (first & 0xffc0) == 0xfec0
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| restricted(&v4.to_string()))
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLACE: Place = Place { file: 0, doc: 0 };

    fn spec(yaml: &str) -> FlinkJobSpec {
        FlinkJobSpec::from_test_yaml(yaml)
    }

    fn fields(problems: &[Diagnostic]) -> Vec<String> {
        problems
            .iter()
            .map(|d| d.field.clone().unwrap_or_default())
            .collect()
    }

    fn session(version: &str) -> SessionRef<'static> {
        SessionRef {
            name: "shared",
            source: "flink/sessions.yaml",
            version: FlinkVersion::parse(version).expect("a supported version"),
        }
    }

    const BASE: &str = "session: shared\n";
    const JAR: &str = "type: jar\njar: {uri: 'https://repo.example.com/a.jar'}\n";

    #[test]
    fn what_a_session_job_may_set() {
        for (yaml, version, expected) in [
            ("", "1.19", vec![]),
            (
                "parallelism: 4\nstate: suspended\nupgradeMode: savepoint\n",
                "1.19",
                vec![],
            ),
            ("checkpoints: {interval: 1m}\n", "1.19", vec![]),
            (
                "type: python\npython: {script: /opt/job.py}\n",
                "1.19",
                vec!["spec.type"],
            ),
            (
                "type: sql\nsql: {statements: 'SELECT 1;'}\n",
                "1.19",
                vec!["spec.type"],
            ),
            (
                "image: flink:1.19\nflinkVersion: '1.19'\n",
                "1.19",
                vec!["spec.flinkVersion", "spec.image"],
            ),
            (
                "resources: {profile: large}\n",
                "1.19",
                vec!["spec.resources"],
            ),
            (
                "autoscaling: {mode: hpa}\n",
                "1.19",
                vec!["spec.autoscaling"],
            ),
            ("rollout: blueGreen\n", "1.19", vec!["spec.rollout"]),
            (
                "env: {A: b}\npodTemplate: {}\n",
                "1.19",
                vec!["spec.env", "spec.podTemplate"],
            ),
            (
                "flinkConfiguration: {taskmanager.memory.process.size: 2g, taskmanager.numberOfTaskSlots: 2, kubernetes.cluster-id: x, pipeline.name: x, kubernetes.operator.job.savepoint-on-deletion: 'true'}\n",
                "1.19",
                vec!["spec.flinkConfiguration[\"taskmanager.memory.process.size\"]"],
            ),
            (
                "checkpoints: {interval: 1m}\n",
                "1.16",
                vec!["spec.checkpoints"],
            ),
            (
                "flinkConfiguration: {pipeline.name: x}\n",
                "1.16",
                vec!["spec.flinkConfiguration"],
            ),
            (
                "flinkConfiguration: {kubernetes.operator.job.savepoint-on-deletion: 'true'}\n",
                "1.16",
                vec![],
            ),
        ] {
            let program = if yaml.starts_with("type:") { "" } else { JAR };
            let found = on_session(
                PLACE,
                &spec(&format!("{BASE}{program}{yaml}")),
                session(version),
            );
            assert_eq!(fields(&found), expected, "{yaml} on {version}");
        }
    }

    #[test]
    fn session_sizes() {
        assert!(size(PLACE, 4, 2).is_empty());
        assert!(size(PLACE, 2_147_483_647, 1).is_empty());
        assert_eq!(
            fields(&size(PLACE, 2_147_483_647, 2)),
            ["spec.taskManagers"]
        );
    }

    #[test]
    fn session_jars() {
        let https = vec!["https".to_string()];
        let more = vec!["https".to_string(), "s3".to_string()];
        for (uri, allowed, ok) in [
            ("https://repo.example.com/a.jar", &https, true),
            ("HTTPS://repo.example.com:8443/a.jar?x=1", &https, true),
            ("http://repo.example.com/a.jar", &https, false),
            ("local:///opt/flink/usrlib/a.jar", &https, false),
            ("s3://bucket/a.jar", &https, false),
            ("s3://bucket/a.jar", &more, true),
            ("/opt/a.jar", &https, false),
            ("https://localhost/a.jar", &https, false),
            ("https://127.0.0.1/a.jar", &https, false),
            ("https://10.1.2.3/a.jar", &https, false),
            ("https://192.168.0.5:8080/a.jar", &https, false),
            ("https://169.254.169.254/latest", &https, false),
            ("https://user@172.16.0.1/a.jar", &https, false),
            ("https://[::1]/a.jar", &https, false),
            ("https://[fe80::1]/a.jar", &https, false),
            ("https://[::ffff:10.0.0.1]/a.jar", &https, false),
            ("https://8.8.8.8/a.jar", &https, true),
            ("https:///a.jar", &https, false),
        ] {
            assert_eq!(jar_uri(PLACE, uri, allowed).is_empty(), ok, "{uri}");
        }
    }
}
