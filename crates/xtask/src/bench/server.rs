//! The benchmark's server: nginx (bench/nginx.conf.in) on two loopback
//! ports, plain HTTP and TLS, with a throwaway CA made by openssl, all in a
//! scratch directory; stopped when dropped.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{Mode, log};
use crate::process::{at_root, capture, run_quiet, stdout};
use crate::scratch::Scratch;

pub(crate) struct Server {
    nginx: Child,
    pub plain_url: String,
    pub tls_url: String,
    /// The throwaway CA that signed the server's certificate.
    pub ca: PathBuf,
    /// The system CA bundle plus the bench CA (the official SDK's second
    /// row), or why there is none.
    pub system_ca: Result<PathBuf, String>,
    // Last: removed after nginx has stopped.
    dir: Scratch,
}

impl Server {
    pub(crate) fn start(mode: &Mode, py: &Path) -> Result<Server, String> {
        let dir = Scratch::new("bench-server")?;
        // nginx's worker may run as another user: it reads the keys here.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        log(format!(
            "throwaway CA and server certificate in {}",
            dir.path().display()
        ));
        make_certificates(dir.path())?;
        let ca = dir.join("ca.crt");
        let system_ca = system_plus_bench_ca(dir.path(), &ca);

        let (plain_port, tls_port) = free_ports()?;
        let affinity = if mode.pin {
            "worker_cpu_affinity 01;"
        } else {
            ""
        };
        let template = crate::root().join("bench/nginx.conf.in");
        let conf = fs::read_to_string(&template)
            .map_err(|e| format!("{}: {e}", template.display()))?
            .replace("@DIR@", &dir.path().display().to_string())
            .replace("@PLAIN_PORT@", &plain_port.to_string())
            .replace("@TLS_PORT@", &tls_port.to_string())
            .replace("@AFFINITY@", affinity);
        let conf_path = dir.join("nginx.conf");
        fs::write(&conf_path, conf).map_err(|e| e.to_string())?;
        let nginx_bin = if crate::process::on_path("nginx") {
            PathBuf::from("nginx")
        } else {
            PathBuf::from("/usr/sbin/nginx")
        };
        let log_file = fs::File::create(dir.join("nginx.out")).map_err(|e| e.to_string())?;
        let nginx = Command::new(nginx_bin)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("nginx: {e}"))?;
        let mut server = Server {
            nginx,
            plain_url: format!("http://127.0.0.1:{plain_port}"),
            tls_url: format!("https://127.0.0.1:{tls_port}"),
            ca,
            system_ca,
            dir,
        };
        for _ in 0..100 {
            let probe = capture(
                at_root(py)
                    .arg("bench/tools/probe_server.py")
                    .arg(&server.ca)
                    .args([&server.plain_url, &server.tls_url]),
            )?;
            if probe.status.success() {
                log(format!(
                    "nginx (pid {}) at {} and {}",
                    server.nginx.id(),
                    server.plain_url,
                    server.tls_url
                ));
                return Ok(server);
            }
            if server.nginx.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        for log in ["nginx.out", "error.log"] {
            eprint!(
                "{}",
                fs::read_to_string(server.dir.join(log)).unwrap_or_default()
            );
        }
        server.stop();
        Err("nginx did not start".into())
    }

    /// The base URL and CA file (`-`: none) of a transport.
    pub(crate) fn endpoint(&self, transport: &str) -> (&str, String) {
        if transport == "tls" {
            (&self.tls_url, self.ca.display().to_string())
        } else {
            (&self.plain_url, "-".to_owned())
        }
    }

    /// A path for a scratch file of the run.
    pub(crate) fn scratch_file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A graceful stop (SIGQUIT), then a kill after 5 s.
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-QUIT", &self.nginx.id().to_string()])
            .status();
        for _ in 0..50 {
            if self.nginx.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.nginx.kill();
        let _ = self.nginx.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Two distinct free loopback ports (both held while the second is taken).
fn free_ports() -> Result<(u16, u16), String> {
    let port = |l: &TcpListener| l.local_addr().map(|a| a.port()).map_err(|e| e.to_string());
    let a = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let b = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok((port(&a)?, port(&b)?))
}

/// ca.key/ca.crt (a CA valid for 2 days) and server.key/server.crt for
/// 127.0.0.1 and localhost, signed by it.
fn make_certificates(dir: &Path) -> Result<(), String> {
    fs::write(
        dir.join("server.ext"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .map_err(|e| e.to_string())?;
    let openssl = |args: &[&str]| {
        let mut cmd = at_root("openssl");
        cmd.current_dir(dir).args(args);
        run_quiet(&mut cmd)
    };
    let ec_key = |out| {
        openssl(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            out,
        ])
    };
    ec_key("ca.key")?;
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-sha256",
        "-days",
        "2",
        "-subj",
        "/CN=engagelab-push bench throwaway CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-out",
        "ca.crt",
    ])?;
    ec_key("server.key")?;
    openssl(&[
        "req",
        "-new",
        "-key",
        "server.key",
        "-subj",
        "/CN=localhost",
        "-out",
        "server.csr",
    ])?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-sha256",
        "-extfile",
        "server.ext",
        "-out",
        "server.crt",
    ])
}

/// The official SDK makes a new SSL context per call, which loads OpenSSL's
/// default CA file every time: in real use the system bundle. Its second row
/// trusts that bundle plus the bench CA. The bundle is OpenSSL's
/// `OPENSSLDIR/cert.pem` (what Python's `ssl` loads by default).
fn system_plus_bench_ca(dir: &Path, ca: &Path) -> Result<PathBuf, String> {
    let version = stdout(at_root("openssl").args(["version", "-d"]))?;
    let openssl_dir = version
        .trim_start_matches("OPENSSLDIR:")
        .trim()
        .trim_matches('"');
    let bundle = Path::new(openssl_dir).join("cert.pem");
    let system =
        fs::read(&bundle).map_err(|_| format!("no system CA file ({})", bundle.display()))?;
    let bench = fs::read(ca).map_err(|e| e.to_string())?;
    let out = dir.join("system-plus-bench-ca.pem");
    fs::write(&out, [system, bench].concat()).map_err(|e| e.to_string())?;
    Ok(out)
}
