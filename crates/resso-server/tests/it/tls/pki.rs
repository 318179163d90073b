//! Certificates made in the test with `rcgen`: one CA, and leaf certificates it signs for chosen
//! names and validity, written as the PEM files the server reads.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
    SerialNumber,
};

/// A test certificate authority.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A server certificate and its key.
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    /// The certificate's DER, what a client sees in the handshake.
    pub der: Vec<u8>,
}

/// Whether a leaf is valid now.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    Current,
    Expired,
}

impl Ca {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params
            .distinguished_name
            .push(DnType::CommonName, "Ressò test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().expect("CA key");
        Self {
            issuer: CertifiedIssuer::self_signed(params, key).expect("self-signed CA"),
        }
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A leaf for `names` (DNS names or IP addresses) with serial number `serial`.
    pub fn leaf(&self, names: &[&str], serial: u64, validity: Validity) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        params
            .distinguished_name
            .push(DnType::CommonName, format!("resso test {serial}"));
        params.serial_number = Some(SerialNumber::from(serial));
        if validity == Validity::Expired {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2021, 1, 1);
        }
        let key = KeyPair::generate().expect("leaf key");
        let cert = params.signed_by(&key, &self.issuer).expect("signed leaf");
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().to_vec(),
        }
    }

    /// A valid leaf for `localhost` and `127.0.0.1`.
    pub fn localhost(&self, serial: u64) -> Leaf {
        self.leaf(&["localhost", "127.0.0.1"], serial, Validity::Current)
    }
}

static DIRS: AtomicUsize = AtomicUsize::new(0);

/// A scratch directory holding `cert.pem` and `key.pem`; removed on drop.
pub struct Files {
    pub dir: PathBuf,
}

impl Files {
    pub fn new() -> Self {
        let n = DIRS.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("resso-tls-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        Self { dir }
    }

    pub fn cert(&self) -> String {
        self.path("cert.pem")
    }

    pub fn key(&self) -> String {
        self.path("key.pem")
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().expect("UTF-8 path").to_owned()
    }

    /// Replaces both files as a deployment tool does: written aside, then renamed over.
    pub fn install(&self, leaf: &Leaf) {
        self.replace(&self.key(), &leaf.key_pem);
        self.replace(&self.cert(), &leaf.cert_pem);
    }

    /// Replaces one file with `text`, atomically.
    pub fn replace(&self, path: &str, text: &str) {
        let aside = Path::new(path).with_extension("new");
        std::fs::write(&aside, text).expect("write a PEM file");
        std::fs::rename(&aside, path).expect("rename it into place");
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
